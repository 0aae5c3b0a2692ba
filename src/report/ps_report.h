/* SPDX-License-Identifier: MIT */
/* `godiag ps` as a table or a JSON array, one emitter call per field. */
#ifndef GODIAG_PS_REPORT_H
#define GODIAG_PS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "diagnose/psview.h"

void ps_render(FILE *out, const struct ps_view *v, bool json);

#endif
