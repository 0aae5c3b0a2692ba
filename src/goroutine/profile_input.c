/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "goroutine/profile_input.h"
#include "goroutine/debug1.h"
#include "pprof/profile.h"
#include "util/banned.h"

struct debug1_parser *profile_input_new_debug1(gd_record_fn fn, void *ctx)
{
	return debug1_parser_new(fn, ctx);
}

static enum gd_err debug1_error(struct debug1_parser *p, enum gd_err e, struct gd_errbuf *eb)
{
	const char *m = debug1_parser_error(p);
	return gd_fail(eb, e, "%s", m && *m ? m : gd_strerror(e));
}

enum gd_err profile_input_feed_debug1(struct debug1_parser *p, const void *buf, size_t n, struct gd_errbuf *eb)
{
	enum gd_err e = debug1_parser_feed(p, buf, n);
	return e ? debug1_error(p, e, eb) : GD_OK;
}

enum gd_err profile_input_finish_debug1(struct debug1_parser *p, bool *truncated, struct gd_errbuf *eb)
{
	enum gd_err e = debug1_parser_finish(p);
	if (e)
		return debug1_error(p, e, eb);
	if (debug1_parser_truncated(p))
		*truncated = true;
	if (debug1_parser_stats(p)->records == 0 && !*truncated)
		return gd_fail(eb, GD_EFORMAT, "debug=1 profile holds no records");
	return GD_OK;
}

void profile_input_free_debug1(struct debug1_parser *p)
{
	debug1_parser_free(p);
}

enum gd_err profile_input_decode_proto(struct grouping *g, const char *buf, size_t n, struct gd_errbuf *eb)
{
	struct profile prof;
	enum gd_err e;
	profile_init(&prof);
	e = profile_decode(&prof, buf, n, NULL, eb);
	if (e == GD_OK && !profile_is_goroutine(&prof))
		e = gd_fail(eb, GD_EFORMAT, "is a pprof profile, but not a goroutine profile");
	if (e == GD_OK) {
		profile_goroutine_records_debug1(&prof, grouping_add_record, g);
		if (g->total == 0)
			e = gd_fail(eb, GD_EFORMAT, "goroutine profile holds no samples");
	}
	profile_release(&prof);
	return e;
}
