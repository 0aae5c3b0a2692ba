/* SPDX-License-Identifier: MIT */
/* Renderers of `godiag diff`: text for people (the top entries of each
 * section, growth first), JSON (every entry; schema in docs/ARCHITECTURE.md)
 * and a pprof profile of the difference: one sample per bucket and per
 * heap site whose value changed, with sample types inuse_space/bytes and
 * goroutine/count (the default view), negative where it shrank. */
#ifndef GODIAG_DIFF_REPORT_H
#define GODIAG_DIFF_REPORT_H

#include <stdio.h>

#include "diagnose/diff.h"
#include "util/error.h"

void diff_render_text(FILE *out, const struct diff_result *d, size_t top);
void diff_render_json(FILE *out, const struct diff_result *d);
/* GD_EFORMAT (eb says) when there is no stack to write; GD_EIO on a write error. */
enum gd_err diff_write_pprof(FILE *out, const struct diff_result *d, struct gd_errbuf *eb);

#endif
