/* SPDX-License-Identifier: MIT */
/* One option table per command, in the style of git's parse-options: a
 * command declares its options as an array of `struct cmd_option` ending in
 * OPT_END(), and cmd_parse_options() does the rest: `--name VALUE`,
 * `--name=VALUE`, `-x VALUE`, `-xVALUE`, `--` and positional arguments, with
 * ranges checked and the same message for the same mistake in every
 * command:
 *
 *   CMD: unknown option '--frob'
 *   CMD: option '--timeout' needs a value
 *   CMD: --timeout: expected seconds (1-3600), got 'abc'
 *
 * Options that several commands share come as blocks, so their names,
 * ranges and messages cannot drift:
 *
 *   OPT_HTTP(&http)       --timeout SECS, -H/--header 'K: V', --cacert FILE, --insecure
 *   OPT_PPROF_URL(&url)   --pprof URL (where a command reads pprof endpoints)
 *   OPT_SOURCES(&roots)   --proc-root DIR, --sys-root DIR, --replay-netlink FILE
 *                         (or one by one: OPT_PROC_ROOT, OPT_SYS_ROOT, OPT_REPLAY_NETLINK)
 *
 * Example:
 *
 *   struct cmd_http http;
 *   struct cmd_sources src;
 *   bool json = false;
 *   const struct cmd_option opts[] = {
 *           OPT_BOOL(0, "json", &json, "one JSON object"),
 *           OPT_HTTP(&http),
 *           OPT_SOURCES(&src),
 *           OPT_END(),
 *   };
 *   cmd_http_init(&http);
 *   cmd_sources_init(&src);
 *   argc = cmd_parse_options("mem", argc, argv, opts);
 *   if (argc < 0)
 *           return argc == CMD_OPT_HELP ? (mem_usage(stdout), EXIT_OK) : EXIT_USAGE;
 *   // argv[0..argc-1] are now the positional arguments, in order.
 *
 * Help text is not generated here: each command's --help text lives in
 * the help source; cmd_parse_options() returns CMD_OPT_HELP for -h and
 * --help, and cmd_parse_args() also prints it. */
#ifndef GODIAG_CMD_OPTIONS_H
#define GODIAG_CMD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remote/fetch.h"

enum cmd_opt_type {
	CMD_OPT_END,
	CMD_OPT_BOOL,     /* bool *: set to true */
	CMD_OPT_STRING,   /* const char **: the value; "" is refused */
	CMD_OPT_LIST,     /* struct cmd_list *: repeatable, every value kept */
	CMD_OPT_UINT,     /* uint64_t *: decimal in [min, max] */
	CMD_OPT_DURATION, /* uint64_t * in ms: "90s", "10m"; a bare number is `unit` ms; [min, max] ms */
	CMD_OPT_SIZE,     /* uint64_t * in bytes: "64k", "256M", "1G"; [min, max] */
	CMD_OPT_CHOICE,   /* const char **: one of `choices` (NULL-terminated) */
	CMD_OPT_CALLBACK, /* cb(opt, value, errmsg): non-zero refuses with errmsg */
};

struct cmd_option;
typedef int (*cmd_opt_cb)(const struct cmd_option *opt, const char *value, char *err, size_t errlen);

struct cmd_option {
	enum cmd_opt_type type;
	int short_name;         /* 'H', or 0 */
	const char *long_name;  /* "header", without the dashes; NULL for short only */
	void *value;
	const char *argh;       /* what the value is, for messages: "seconds", "a size" */
	const char *help;       /* one line (the full --help text lives in the help source) */
	uint64_t min, max;      /* ranges of UINT, DURATION, SIZE */
	uint64_t unit;          /* DURATION: what a bare number counts, in ms */
	const char *const *choices;
	cmd_opt_cb cb;
	bool takes_value;       /* CALLBACK: whether it takes a value */
	const char **given;     /* if set: the accepted value as typed, for a report to quote */
};

/* A repeatable option's values, in order (pointers into argv). */
struct cmd_list {
	const char **v;
	size_t n, alloc;
};
void cmd_list_release(struct cmd_list *l);

#define OPT_END() { .type = CMD_OPT_END }
#define OPT_BOOL(s, l, v, h) { .type = CMD_OPT_BOOL, .short_name = (s), .long_name = (l), .value = (v), .help = (h) }
#define OPT_STRING(s, l, v, a, h) \
	{ .type = CMD_OPT_STRING, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .help = (h) }
#define OPT_LIST(s, l, v, a, h) \
	{ .type = CMD_OPT_LIST, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .help = (h) }
#define OPT_UINT(s, l, v, a, lo, hi, h)                                                                  \
	{ .type = CMD_OPT_UINT, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .min = (lo), \
	  .max = (hi), .help = (h) }
#define OPT_DURATION(s, l, v, bare_ms, lo_ms, hi_ms, h)                                                       \
	{ .type = CMD_OPT_DURATION, .short_name = (s), .long_name = (l), .value = (v), .argh = "a duration", \
	  .unit = (bare_ms), .min = (lo_ms), .max = (hi_ms), .help = (h) }
/* The same, keeping the text as given in *t ("7d" stays "7d" in a report). */
#define OPT_DURATION_AS(s, l, v, t, bare_ms, lo_ms, hi_ms, h)                                                 \
	{ .type = CMD_OPT_DURATION, .short_name = (s), .long_name = (l), .value = (v), .argh = "a duration", \
	  .unit = (bare_ms), .min = (lo_ms), .max = (hi_ms), .given = (t), .help = (h) }
#define OPT_SIZE(s, l, v, lo, hi, h)                                                                  \
	{ .type = CMD_OPT_SIZE, .short_name = (s), .long_name = (l), .value = (v), .argh = "a size", \
	  .min = (lo), .max = (hi), .help = (h) }
#define OPT_CHOICE(s, l, v, ch, h) \
	{ .type = CMD_OPT_CHOICE, .short_name = (s), .long_name = (l), .value = (v), .choices = (ch), .help = (h) }
#define OPT_CALLBACK(s, l, v, a, fn, h)                                                                   \
	{ .type = CMD_OPT_CALLBACK, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .cb = (fn), \
	  .takes_value = true, .help = (h) }

/* ---- shared blocks ------------------------------------------------------ */

/* The HTTP options of every command that fetches.  --timeout is the whole
 * transfer, 1-3600 seconds everywhere (an hour is longer than any dump
 * takes; a bigger number is a typo). */
#define CMD_TIMEOUT_MIN 1
#define CMD_TIMEOUT_MAX 3600
struct cmd_http {
	uint64_t timeout_s;     /* 0: the command's default */
	struct cmd_list headers;
	const char *cacert;
	bool insecure;
};
void cmd_http_init(struct cmd_http *h);
void cmd_http_release(struct cmd_http *h);
/* Copy what was given into fo (fo keeps pointers into h and argv). */
void cmd_http_apply(const struct cmd_http *h, struct fetch_opts *fo);
int cmd_opt_header_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen);
int cmd_opt_url_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen);

#define OPT_HTTP(h)                                                                                       \
	OPT_UINT(0, "timeout", &(h)->timeout_s, "seconds", CMD_TIMEOUT_MIN, CMD_TIMEOUT_MAX,             \
		 "whole-transfer timeout"),                                                                \
	OPT_CALLBACK('H', "header", &(h)->headers, "'Name: value'", cmd_opt_header_cb,                     \
		     "extra request header (repeatable)"),                                                  \
	OPT_STRING(0, "cacert", &(h)->cacert, "FILE", "PEM bundle to verify the server"),                 \
	OPT_BOOL(0, "insecure", &(h)->insecure, "do not verify TLS certificates")

/* --pprof URL: an http(s):// or unix: base of /debug/pprof/. */
#define OPT_PPROF_URL(v) \
	OPT_CALLBACK(0, "pprof", (v), "URL", cmd_opt_url_cb, "the target's /debug/pprof/ base URL")

/* --max-stw MS: the pause budget of a debug=2 dump (double, >= 0). */
int cmd_opt_max_stw_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen);
#define OPT_MAX_STW(v) OPT_CALLBACK(0, "max-stw", (v), "MS", cmd_opt_max_stw_cb, "pause budget for debug=2")

/* Where live facts are read from, so tests replay captured ones. */
struct cmd_sources {
	const char *proc_root;       /* PROCFS_ROOT_DEFAULT */
	const char *sys_root;        /* SYSFS_ROOT_DEFAULT */
	const char *replay_netlink;  /* NULL: ask the kernel */
};
void cmd_sources_init(struct cmd_sources *s);

#define OPT_PROC_ROOT(s) OPT_STRING(0, "proc-root", &(s)->proc_root, "DIR", "read DIR instead of /proc")
#define OPT_SYS_ROOT(s) OPT_STRING(0, "sys-root", &(s)->sys_root, "DIR", "read DIR instead of /sys")
#define OPT_REPLAY_NETLINK(s)                                                 \
	OPT_STRING(0, "replay-netlink", &(s)->replay_netlink, "FILE",         \
		   "read a sock_diag recording instead of asking the kernel")
/* A command offers the sources it reads: all three, or only the roots
 * (OPT_PROC_ROOT, OPT_SYS_ROOT) when it never asks netlink. */
#define OPT_SOURCES(s) OPT_PROC_ROOT(s), OPT_SYS_ROOT(s), OPT_REPLAY_NETLINK(s)

/* ---- parsing ------------------------------------------------------------ */

enum {
	CMD_OPT_HELP = -1,  /* -h or --help was given */
	CMD_OPT_ERROR = -2, /* a usage error, already reported on stderr */
};

/* Parse argv[1..argc-1] (argv[0] is the command name, which prefixes the
 * messages).  Positional arguments are moved to argv[0..n-1] and n is
 * returned; or CMD_OPT_HELP, or CMD_OPT_ERROR after one line on stderr.
 * A lone "-" is positional (stdin); "--" ends the options. */
int cmd_parse_options(const char *cmd, int argc, char **argv, const struct cmd_option *opts);

/* cmd_parse_options() and what every command does next: on -h/--help its
 * help text on stdout (then CMD_OPT_HELP); more than max_args positional
 * arguments refused with one message ("CMD: unexpected argument 'x'" for
 * 0, "CMD: more than one TARGET ('x')" for 1; CMD_ARGS_ANY checks none). */
#define CMD_ARGS_ANY (-1)
int cmd_parse_args(const char *cmd, int argc, char **argv, const struct cmd_option *opts, int max_args);

/* TARGET as a PID: 1..INT32_MAX; otherwise "CMD: TARGET must be a PID, not
 * 'x'" on stderr and false (the caller exits EXIT_USAGE). */
bool cmd_parse_pid(const char *cmd, const char *s, int *pid);
/* The same check, without the message. */
bool cmd_parse_pid_quiet(const char *s, int *pid);

#endif
