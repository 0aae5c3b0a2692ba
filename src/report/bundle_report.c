/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "report/bundle_report.h"
#include "util/human.h"
#include "util/json_writer.h"
#include "util/termsafe.h"
#include "util/banned.h"

/* Collection failures that left no file behind are worth a line; the
 * pieces read are the files listed above them. */
static size_t count_failed_pieces(const struct report_snapshot *rs)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->npieces; i++)
		n += !rs->pieces[i].ok;
	return n;
}

void bundle_render_text(FILE *out, const struct bundle_writer *w, const struct report_snapshot *rs)
{
	size_t nf = count_failed_pieces(rs);
	fputs("bundle ", out);
	termsafe_puts(out, w->dir ? w->dir : "?");
	fprintf(out, ": %zu file%s about ", w->nfiles - w->nfailed, w->nfiles - w->nfailed == 1 ? "" : "s");
	termsafe_puts(out, rs->label ? rs->label : "?");
	if (w->nfailed)
		fprintf(out, ", %zu FAILED", w->nfailed);
	fputc('\n', out);
	for (size_t i = 0; i < w->nfiles; i++) {
		const struct bundle_file *f = &w->files[i];
		fprintf(out, "  %-6s ", f->ok ? "saved" : "FAILED");
		termsafe_puts(out, f->name);
		if (f->ok) {
			char sz[32];
			human_bytes(sz, sizeof(sz), f->bytes);
			fprintf(out, " (%s)", sz);
		}
		if (f->note) {
			fputs(": ", out);
			termsafe_puts(out, f->note);
		}
		fputc('\n', out);
	}
	if (nf) {
		fprintf(out, "not collected:\n");
		for (size_t i = 0; i < rs->npieces; i++) {
			if (rs->pieces[i].ok)
				continue;
			fputs("  ", out);
			termsafe_puts(out, rs->pieces[i].what);
			if (rs->pieces[i].note) {
				fputs(": ", out);
				termsafe_puts(out, rs->pieces[i].note);
			}
			fputc('\n', out);
		}
	}
	if (w->nfiles > w->nfailed) {
		fputs("read it back with: godiag doctor ", out);
		termsafe_puts(out, w->dir ? w->dir : "?");
		fputc('\n', out);
	}
}

void bundle_render_json(FILE *out, const struct bundle_writer *w, const struct report_snapshot *rs)
{
	struct json_writer jw;
	jw_init(&jw, out, true);
	jw_object_begin(&jw);
	jw_key_string(&jw, "dir", w->dir);
	jw_key_string(&jw, "target", rs->label);
	jw_key(&jw, "time");
	jw_int(&jw, rs->time);
	jw_key(&jw, "complete");
	jw_bool(&jw, !w->nfailed);
	jw_key(&jw, "files");
	jw_array_begin(&jw);
	for (size_t i = 0; i < w->nfiles; i++) {
		const struct bundle_file *f = &w->files[i];
		jw_object_begin(&jw);
		jw_key_string(&jw, "name", f->name);
		jw_key_string(&jw, "kind", evidence_kind_name(f->kind));
		jw_key(&jw, "ok");
		jw_bool(&jw, f->ok);
		jw_key(&jw, "bytes");
		if (f->ok)
			jw_uint(&jw, f->bytes);
		else
			jw_null(&jw);
		jw_key_string(&jw, "source", f->source);
		jw_key_string(&jw, "note", f->note);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_key(&jw, "pieces");
	jw_array_begin(&jw);
	for (size_t i = 0; i < rs->npieces; i++) {
		jw_object_begin(&jw);
		jw_key_string(&jw, "what", rs->pieces[i].what);
		jw_key_string(&jw, "source", rs->pieces[i].source);
		jw_key(&jw, "ok");
		jw_bool(&jw, rs->pieces[i].ok);
		jw_key_string(&jw, "note", rs->pieces[i].note);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end(&jw);
}
