/* SPDX-License-Identifier: MIT */
/* `godiag mem` as text or JSON, one emitter call per field (report/emit).
 * The JSON object is a contract (tests/cases/030x, mem_madvfree.sh). */
#ifndef GODIAG_MEM_REPORT_H
#define GODIAG_MEM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "diagnose/memview.h"

void mem_render(FILE *out, const struct mem_view *v, bool json);

#endif
