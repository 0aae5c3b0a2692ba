/* SPDX-License-Identifier: MIT */
/* Renderers for `godiag stacks`: text for people, JSON for machines (a
 * contract others rely on; see docs/ARCHITECTURE.md), and a self-contained
 * HTML page.  Text and JSON are one description of the report, field by
 * field through report/emit: what both show is written once.  They only read
 * the report model; they compute nothing. */
#ifndef GODIAG_STACKS_REPORT_H
#define GODIAG_STACKS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "goroutine/dump_input.h"
#include "goroutine/group.h"

/* One SRC of the report. */
struct stacks_input_info {
	const char *source;
	enum dump_format format;  /* DUMP_FMT_UNKNOWN if it could not be read */
	uint64_t goroutines;      /* of the dump kept */
	uint32_t dumps;           /* dumps (or profiles) it held */
	uint32_t dump;            /* the one kept (1-based) */
	bool truncated;
	const char *error;        /* why it could not be read, or NULL */
};

struct stacks_report {
	const char *source;
	enum dump_format format;
	bool mixed;           /* the inputs have different formats */
	const struct grouping *g;
	struct bucket *const *buckets; /* filtered and sorted */
	size_t nbuckets;
	bool truncated;
	const char *partial;  /* why the result is partial, or NULL */
	const char *preamble; /* "panic: ..." of a crash dump, or NULL */
	const char *signal;
	bool show_args;       /* exact-argument grouping */
	bool has_crash_goid;  /* crash_goid: the goroutine that crashed */
	uint64_t crash_goid;
	const struct bucket *crash_bucket; /* its bucket (text shows it first), or NULL */
	const struct stacks_input_info *inputs;
	size_t ninputs;
	size_t max_frames;    /* text output: frames shown per bucket (0: all) */
};

void stacks_render_text(FILE *out, const struct stacks_report *r, bool color);
void stacks_render_json(FILE *out, const struct stacks_report *r);
void stacks_render_html(FILE *out, const struct stacks_report *r);

#endif
