/* SPDX-License-Identifier: MIT */
/* Adapters from the profile parsers (debug=1 text, debug=0 protobuf) to a
 * grouping, so dump_input can treat every format the same way. */
#ifndef GODIAG_PROFILE_INPUT_H
#define GODIAG_PROFILE_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "goroutine/group.h"
#include "util/error.h"

struct debug1_parser;

struct debug1_parser *profile_input_new_debug1(gd_record_fn fn, void *ctx);
enum gd_err profile_input_feed_debug1(struct debug1_parser *p, const void *buf, size_t n, struct gd_errbuf *eb);
enum gd_err profile_input_finish_debug1(struct debug1_parser *p, bool *truncated, struct gd_errbuf *eb);
void profile_input_free_debug1(struct debug1_parser *p);

/* Decode a whole profile.proto (goroutine or goroutineleak) into g, each
 * stack shown as debug=1 shows it (leading runtime frames hidden). */
enum gd_err profile_input_decode_proto(struct grouping *g, const char *buf, size_t n, struct gd_errbuf *eb);

#endif
