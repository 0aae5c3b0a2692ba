/* SPDX-License-Identifier: MIT */
/* What `godiag bundle` says it saved: every file attempted (saved with its
 * size, or FAILED and why) and what could not be collected.  A file that
 * was not written is never shown as saved. */
#ifndef GODIAG_BUNDLE_REPORT_H
#define GODIAG_BUNDLE_REPORT_H

#include <stdio.h>

#include "diagnose/bundle.h"
#include "diagnose/finding.h"

void bundle_render_text(FILE *out, const struct bundle_writer *w, const struct report_snapshot *rs);
void bundle_render_json(FILE *out, const struct bundle_writer *w, const struct report_snapshot *rs);

#endif
