/* SPDX-License-Identifier: MIT */
/* The goroutine dump model shared by every dump parser and by grouping.
 * It lives below goroutine/, pprof/ and runtime/ (which all use it) so
 * that no two modules include each other.
 *
 * Parsers hand out these structs through callbacks.  All string fields are
 * slices (pointer + length, NOT NUL-terminated) that stay valid only during
 * the callback; a consumer that keeps one must copy or intern it. */
#ifndef GODIAG_GOROUTINE_H
#define GODIAG_GOROUTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gd_frame_flags {
	GD_FRAME_INLINED = 1 << 0, /* printed as F(...): an inlined call */
	GD_FRAME_CGO = 1 << 1,     /* a C frame ("non-Go function", cgo symbolizer) */
	GD_FRAME_NOFILE = 1 << 2,  /* no file line followed the function line */
};

struct gd_frame {
	const char *func;  /* "net/http.(*conn).serve", "main.gen[...]" */
	const char *args;  /* text inside the parentheses, "" when absent */
	const char *file;  /* "/usr/lib/go/src/net/http/server.go" */
	uint32_t func_len, args_len, file_len;
	uint32_t line;
	uint32_t flags;    /* enum gd_frame_flags */
};

enum gd_goroutine_flags {
	GD_G_LOCKED = 1 << 0,      /* ", locked to thread" */
	GD_G_LEAKED = 1 << 1,      /* " (leaked)": proven by the goroutineleak GC */
	GD_G_DURABLE = 1 << 2,     /* " (durable)": blocked inside a synctest bubble */
	GD_G_SCAN = 1 << 3,        /* " (scan)": caught while the GC scanned it */
	GD_G_UNAVAILABLE = 1 << 4, /* "goroutine running on other thread; stack unavailable" */
	GD_G_HAS_WAIT = 1 << 5,    /* ", N minutes" was printed */
	GD_G_HAS_CREATOR = 1 << 6, /* a "created by" line */
	GD_G_CREATOR_GOID = 1 << 7,/* "created by X in goroutine N" (Go 1.21+) */
	GD_G_HAS_BUBBLE = 1 << 8,  /* ", synctest bubble N" / "synctest group N" */
	GD_G_DECORATED = 1 << 9,   /* " gp=0x… m=…" header decoration (Go 1.22+ crashes) */
	GD_G_FRAMES_CAPPED = 1 << 10, /* more frames than we keep; the rest dropped */
	GD_G_CRASHED = 1 << 11,    /* the first goroutine after a crash header: the one that crashed */
	/* Its frames (func, file, line; args too when the parser keeps them) and
	 * its creator are those of the goroutine the same parser handed over
	 * just before.  A hint only a parser that saw both lines can give:
	 * grouping then skips the compare with that goroutine's bucket. */
	GD_G_SAME_STACK = 1 << 12,
};

struct gd_goroutine {
	uint64_t id;
	const char *state;    /* bare wait reason or status: "IO wait", "chan receive" */
	uint32_t state_len;
	uint32_t wait_minutes;/* valid when GD_G_HAS_WAIT */
	uint32_t flags;       /* enum gd_goroutine_flags */
	uint32_t nframes;
	uint64_t bubble;      /* synctest bubble/group id, when GD_G_HAS_BUBBLE */
	const char *labels;   /* raw label text "{k: v}" or "" (Go 1.26+ tracebacklabels) */
	uint32_t labels_len;
	uint32_t elided;      /* frames elided by the runtime ("...N frames elided...") */
	bool elided_unknown;  /* "...additional frames elided..." (count not printed) */
	uint32_t nancestors;  /* "[originating from goroutine N]" blocks */
	struct gd_frame *frames; /* innermost first */
	struct gd_frame creator; /* valid when GD_G_HAS_CREATOR */
	uint64_t creator_goid;   /* valid when GD_G_CREATOR_GOID */
	uint32_t dump;           /* which dump of the input (1, 2, ...): logs may hold several */
};

/* One aggregated stack from a debug=1 or debug=0 goroutine profile: no IDs,
 * states or wait times, only (stack, labels) -> count. */
struct gd_record {
	uint64_t count;
	const struct gd_frame *frames; /* innermost first; args are always empty */
	uint32_t nframes;
	const char *labels;  /* "{\"k\":\"v\"}" as printed by debug=1, or "" */
	uint32_t labels_len;
	uint32_t dump;       /* which profile of the input (1, 2, ...) */
};

typedef int (*gd_goroutine_fn)(const struct gd_goroutine *g, void *ctx);
typedef int (*gd_record_fn)(const struct gd_record *r, void *ctx);

#endif
