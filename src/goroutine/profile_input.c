/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "goroutine/profile_input.h"
#include "pprof/profile.h"
#include "util/banned.h"

/* NEEDSWORK: wired to the debug=1 and profile.proto parsers once they land. */
struct debug1_parser *profile_input_new_debug1(struct grouping *g)
{
	(void)g;
	return NULL;
}

enum gd_err profile_input_feed_debug1(struct debug1_parser *p, const void *buf, size_t n, struct gd_errbuf *eb)
{
	(void)p; (void)buf; (void)n;
	return gd_fail(eb, GD_EUNSUPPORTED, "debug=1 profiles are not supported yet");
}

enum gd_err profile_input_finish_debug1(struct debug1_parser *p, bool *truncated, struct gd_errbuf *eb)
{
	(void)p; (void)truncated;
	return gd_fail(eb, GD_EUNSUPPORTED, "debug=1 profiles are not supported yet");
}

void profile_input_free_debug1(struct debug1_parser *p)
{
	(void)p;
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
		profile_goroutine_records(&prof, grouping_add_record, g);
		if (g->total == 0)
			e = gd_fail(eb, GD_EFORMAT, "goroutine profile holds no samples");
	}
	profile_release(&prof);
	return e;
}
