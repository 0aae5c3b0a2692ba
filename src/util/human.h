/* SPDX-License-Identifier: MIT */
/* Numbers for people: one place decides how sizes read in every command. */
#ifndef GODIAG_HUMAN_H
#define GODIAG_HUMAN_H

#include <stddef.h>
#include <stdint.h>

/* Approximate, for display: "512 B", "1.1 GiB", "640 MiB" (one decimal
 * below 10 units). */
void human_bytes(char *buf, size_t n, uint64_t bytes);

/* Exact, for limits and caps in messages: "256 MiB", "1 GiB", "1000 bytes"
 * (the largest binary unit that divides the size). */
void human_size_exact(char *buf, size_t n, uint64_t bytes);

/* A count people read: "1,234,567". */
void human_count(char *buf, size_t n, uint64_t v);

#endif
