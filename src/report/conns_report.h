/* SPDX-License-Identifier: MIT */
/* `godiag conns` as text or JSON, one emitter call per field.  The JSON
 * object is a contract (tests/cases/040x). */
#ifndef GODIAG_CONNS_REPORT_H
#define GODIAG_CONNS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "diagnose/connsview.h"

void conns_render(FILE *out, const struct conns_view *v, bool json);

#endif
