/* SPDX-License-Identifier: MIT */
/* Durations on the command line: "500ms", "90s", "10m", "2h", "1d",
 * "1h30m".  A bare number is in `bare_unit_ms` (a minute for --min-wait,
 * a second for --min-idle), as each option documents. */
#ifndef GODIAG_DURATION_H
#define GODIAG_DURATION_H

#include <stdbool.h>
#include <stdint.h>

bool parse_duration_ms(const char *s, uint64_t bare_unit_ms, uint64_t *out);

#endif
