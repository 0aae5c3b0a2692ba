/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/help.h"
#include "cmd/options.h"
#include "linux/procfs.h"
#include "util/duration.h"
#include "util/error.h"
#include "util/human.h"
#include "util/numparse.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

void cmd_list_release(struct cmd_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void list_add(struct cmd_list *l, const char *v)
{
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = v;
}

void cmd_http_init(struct cmd_http *h)
{
	memset(h, 0, sizeof(*h));
}

void cmd_http_release(struct cmd_http *h)
{
	cmd_list_release(&h->headers);
}

void cmd_http_apply(const struct cmd_http *h, struct fetch_opts *fo)
{
	if (h->timeout_s) {
		fo->total_timeout_ms = (long)h->timeout_s * 1000;
		/* A connect timeout longer than the whole transfer is meaningless. */
		if (fo->connect_timeout_ms > fo->total_timeout_ms)
			fo->connect_timeout_ms = fo->total_timeout_ms;
	}
	if (h->headers.n) {
		fo->headers = h->headers.v;
		fo->nheaders = h->headers.n;
	}
	if (h->cacert)
		fo->cacert = h->cacert;
	if (h->insecure)
		fo->insecure = true;
}

int cmd_opt_header_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	if (strchr(value, '\r') || strchr(value, '\n') || !strchr(value, ':') || *value == ':') {
		snprintf(err, errlen, "expected 'Name: value' on one line, got '%s'", value);
		return -1;
	}
	list_add(opt->value, value);
	return 0;
}

int cmd_opt_url_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8) && strncmp(value, "unix:", 5)) {
		snprintf(err, errlen, "expected an http(s):// or unix: URL, got '%s'", value);
		return -1;
	}
	*(const char **)opt->value = value;
	return 0;
}

int cmd_opt_max_stw_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end || v < 0) {
		snprintf(err, errlen, "expected milliseconds, got '%s'", value);
		return -1;
	}
	*(double *)opt->value = v;
	return 0;
}

void cmd_sources_init(struct cmd_sources *s)
{
	s->proc_root = PROCFS_ROOT_DEFAULT;
	s->sys_root = SYSFS_ROOT_DEFAULT;
	s->replay_netlink = NULL;
}

static bool takes_value(const struct cmd_option *o)
{
	return o->type == CMD_OPT_CALLBACK ? o->takes_value : o->type != CMD_OPT_BOOL;
}

/* "--timeout" or "-H", for messages. */
static void opt_name(const struct cmd_option *o, bool as_short, char *buf, size_t n)
{
	if (as_short || !o->long_name)
		snprintf(buf, n, "-%c", o->short_name);
	else
		snprintf(buf, n, "--%s", o->long_name);
}

static void range_text(const struct cmd_option *o, char *buf, size_t n)
{
	char a[32], b[32];

	switch (o->type) {
	case CMD_OPT_UINT:
		snprintf(buf, n, "%s (%llu-%llu)", o->argh ? o->argh : "a number", (unsigned long long)o->min,
			 (unsigned long long)o->max);
		break;
	case CMD_OPT_SIZE:
		if (o->min == 0 && o->max >= (UINT64_MAX >> 2)) {
			snprintf(buf, n, "a size (4096, 64K, 4M, 1G)");
			break;
		}
		human_size_exact(a, sizeof(a), o->min);
		human_size_exact(b, sizeof(b), o->max);
		snprintf(buf, n, "a size between %s and %s (k, M, G suffixes)", a, b);
		break;
	case CMD_OPT_DURATION:
		snprintf(buf, n, "a duration like 90s, 10m, 2h, 1d");
		break;
	default:
		snprintf(buf, n, "%s", o->argh ? o->argh : "a value");
	}
}

/* Check and store one value; false after the message. */
static bool apply_value(const char *cmd, const struct cmd_option *o, bool as_short, const char *val)
{
	char name[64], err[256] = "", range[160];
	uint64_t u;

	opt_name(o, as_short, name, sizeof(name));
	switch (o->type) {
	case CMD_OPT_BOOL:
		*(bool *)o->value = true;
		return true;
	case CMD_OPT_STRING:
		if (!*val)
			break;
		*(const char **)o->value = val;
		return true;
	case CMD_OPT_LIST:
		if (!*val)
			break;
		list_add(o->value, val);
		return true;
	case CMD_OPT_UINT:
		if (!parse_u64(val, &u) || u < o->min || u > o->max)
			break;
		*(uint64_t *)o->value = u;
		return true;
	case CMD_OPT_SIZE:
		if (!parse_size(val, &u) || u < o->min || u > o->max)
			break;
		*(uint64_t *)o->value = u;
		return true;
	case CMD_OPT_DURATION:
		if (!parse_duration_ms(val, o->unit, &u) || u < o->min || u > o->max)
			break;
		*(uint64_t *)o->value = u;
		return true;
	case CMD_OPT_CHOICE: {
		struct strbuf sb = STRBUF_INIT_MAX(256);
		for (size_t i = 0; o->choices[i]; i++)
			if (!strcmp(val, o->choices[i])) {
				*(const char **)o->value = o->choices[i];
				strbuf_release(&sb);
				return true;
			}
		for (size_t i = 0; o->choices[i]; i++)
			strbuf_addf(&sb, "%s%s", i ? (o->choices[i + 1] ? ", " : " or ") : "", o->choices[i]);
		error("%s: %s: expected %s, got '%s'", cmd, name, sb.buf, val);
		strbuf_release(&sb);
		return false;
	}
	case CMD_OPT_CALLBACK:
		if (!o->cb(o, val, err, sizeof(err)))
			return true;
		error("%s: %s: %s", cmd, name, err);
		return false;
	case CMD_OPT_END:
		break;
	}
	range_text(o, range, sizeof(range));
	error("%s: %s: expected %s, got '%s'", cmd, name, range, val);
	return false;
}

/* Apply one option; false after the message. */
static bool apply(const char *cmd, const struct cmd_option *o, bool as_short, const char *val)
{
	if (!apply_value(cmd, o, as_short, val))
		return false;
	if (o->given)
		*o->given = val;
	return true;
}

static const struct cmd_option *find_long(const struct cmd_option *opts, const char *name, size_t len)
{
	for (const struct cmd_option *o = opts; o->type != CMD_OPT_END; o++)
		if (o->long_name && strlen(o->long_name) == len && !memcmp(o->long_name, name, len))
			return o;
	return NULL;
}

static const struct cmd_option *find_short(const struct cmd_option *opts, int c)
{
	for (const struct cmd_option *o = opts; o->type != CMD_OPT_END; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

int cmd_parse_options(const char *cmd, int argc, char **argv, const struct cmd_option *opts)
{
	int npos = 0;
	bool only_pos = false;

	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		const struct cmd_option *o;
		const char *val = NULL;

		if (only_pos || arg[0] != '-' || !arg[1]) {
			argv[npos++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h"))
			return CMD_OPT_HELP;
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			o = find_long(opts, arg + 2, len);
			if (!o) {
				error("%s: unknown option '%.*s'", cmd, (int)len + 2, arg);
				return CMD_OPT_ERROR;
			}
			if (eq && !takes_value(o)) {
				error("%s: option '--%s' takes no value", cmd, o->long_name);
				return CMD_OPT_ERROR;
			}
			if (eq)
				val = eq + 1;
			else if (takes_value(o) && i + 1 < argc)
				val = argv[++i];
			else if (takes_value(o)) {
				error("%s: option '--%s' needs a value", cmd, o->long_name);
				return CMD_OPT_ERROR;
			}
			if (!apply(cmd, o, false, val ? val : ""))
				return CMD_OPT_ERROR;
			continue;
		}
		/* Short options, bundled: -qH 'K: V', -HK:V. */
		for (const char *p = arg + 1; *p; p++) {
			o = find_short(opts, (unsigned char)*p);
			if (!o) {
				error("%s: unknown option '-%c'", cmd, *p);
				return CMD_OPT_ERROR;
			}
			if (!takes_value(o)) {
				apply(cmd, o, true, "");
				continue;
			}
			if (p[1])
				val = p + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				error("%s: option '-%c' needs a value", cmd, *p);
				return CMD_OPT_ERROR;
			}
			if (!apply(cmd, o, true, val))
				return CMD_OPT_ERROR;
			break;
		}
	}
	return npos;
}

int cmd_parse_args(const char *cmd, int argc, char **argv, const struct cmd_option *opts, int max_args)
{
	int n = cmd_parse_options(cmd, argc, argv, opts);

	if (n == CMD_OPT_HELP) {
		cmd_help(stdout, cmd);
	} else if (max_args != CMD_ARGS_ANY && n > max_args) {
		if (max_args == 0)
			error("%s: unexpected argument '%s'", cmd, argv[0]);
		else
			error("%s: more than one TARGET ('%s')", cmd, argv[max_args]);
		n = CMD_OPT_ERROR;
	}
	return n;
}

bool cmd_parse_pid_quiet(const char *s, int *pid)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v == 0 || v > INT32_MAX)
		return false;
	*pid = (int)v;
	return true;
}

bool cmd_parse_pid(const char *cmd, const char *s, int *pid)
{
	if (cmd_parse_pid_quiet(s, pid))
		return true;
	error("%s: TARGET must be a PID, not '%s'", cmd, s);
	return false;
}
