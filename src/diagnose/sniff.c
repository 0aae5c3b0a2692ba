/* SPDX-License-Identifier: MIT */
/* Content sniffing for evidence files.  Each text line votes for the one
 * format that would print it; the shapes come from the producers (runtime
 * traceback, runtime/pprof printCountProfile / writeHeapInternal,
 * fs/proc/array.c and task_mmu.c, net/ipv4/proc.c, iproute2 ss.c, expvar,
 * client_golang).  See sniff.h for how votes become a verdict. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "census/settings.h"
#include "diagnose/sniff.h"
#include "linux/ss_text.h"
#include "pprof/gzip.h"
#include "pprof/profile.h"
#include "util/banned.h"

static const char *const kind_names[EV_KIND_MAX] = {
	[EV_UNKNOWN] = "unknown",
	[EV_GOROUTINE_DEBUG2] = "goroutine-debug2",
	[EV_GOROUTINE_DEBUG1] = "goroutine-debug1",
	[EV_GOROUTINE_PROTO] = "goroutine-proto",
	[EV_GOROUTINELEAK_DEBUG1] = "goroutineleak-debug1",
	[EV_GOROUTINELEAK_PROTO] = "goroutineleak-proto",
	[EV_HEAP_TEXT] = "heap-debug1",
	[EV_HEAP_PROTO] = "heap-proto",
	[EV_PROC_STATUS] = "proc-status",
	[EV_SMAPS_ROLLUP] = "smaps-rollup",
	[EV_SMAPS] = "smaps",
	[EV_SOCKSTAT] = "sockstat",
	[EV_SS_TEXT] = "ss-text",
	[EV_EXPVAR] = "expvar",
	[EV_METRICS] = "metrics",
	[EV_BUNDLE_MANIFEST] = "bundle-manifest",
	[EV_NETLINK_RECORDING] = "sockdiag-recording",
	[EV_SERVER_SETTINGS] = "server-settings",
};

const char *evidence_kind_name(enum evidence_kind k)
{
	return (unsigned)k < EV_KIND_MAX ? kind_names[k] : "unknown";
}

enum evidence_kind evidence_kind_from_name(const char *name)
{
	for (int k = 1; name && k < EV_KIND_MAX; k++)
		if (!strcmp(name, kind_names[k]))
			return (enum evidence_kind)k;
	return EV_UNKNOWN;
}

/* ---- line shapes ---- */

static bool starts(const char *s, const char *e, const char *pre)
{
	size_t n = strlen(pre);
	return (size_t)(e - s) >= n && !memcmp(s, pre, n);
}

static bool contains(const char *s, const char *e, const char *needle)
{
	return memmem(s, (size_t)(e - s), needle, strlen(needle)) != NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static const char *digits(const char *s, const char *e)
{
	while (s < e && is_digit(*s))
		s++;
	return s;
}

/* "goroutine 18 [chan receive, 5 minutes]:" (gp=/m= variants included). */
static bool goroutine_header(const char *s, const char *e)
{
	const char *p;
	if (!starts(s, e, "goroutine "))
		return false;
	p = digits(s + 10, e);
	if (p == s + 10)
		return false;
	return e - p >= 3 && memchr(p, '[', (size_t)(e - p)) && e[-1] == ':' && e[-2] == ']';
}

/* "N @ 0x..." (debug=1 record). */
static bool count_record(const char *s, const char *e)
{
	const char *p = digits(s, e);
	return p > s && starts(p, e, " @ 0x");
}

/* "a: b [c: d] @ 0x..." (heap record). */
static bool heap_record(const char *s, const char *e)
{
	const char *p = digits(s, e);
	if (p == s || !starts(p, e, ": "))
		return false;
	p = digits(p + 2, e);
	return starts(p, e, " [") && contains(p, e, "] @");
}

/* "/proc/PID/status": "Key:\tvalue". */
static bool status_line(const char *s, const char *e)
{
	const char *p = s;
	while (p < e && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' || is_digit(*p)))
		p++;
	return p > s && e - p >= 2 && p[0] == ':' && p[1] == '\t';
}

/* "55d4c8a00000-55d4c8a01000 r--p 00000000 08:01 123  /usr/bin/x" */
static bool smaps_header(const char *s, const char *e)
{
	const char *p = s;
	while (p < e && is_hex(*p))
		p++;
	if (p == s || p >= e || *p != '-')
		return false;
	s = ++p;
	while (p < e && is_hex(*p))
		p++;
	if (p == s || e - p < 6 || p[0] != ' ')
		return false;
	return (p[1] == 'r' || p[1] == '-') && (p[2] == 'w' || p[2] == '-') &&
	       (p[3] == 'x' || p[3] == '-') && (p[4] == 'p' || p[4] == 's') && p[5] == ' ';
}

/* "Rss:                 123 kB" */
static bool kb_line(const char *s, const char *e)
{
	const char *p = s;
	while (p < e && *p != ':' && *p != ' ')
		p++;
	if (p == s || p >= e || *p != ':')
		return false;
	p++;
	while (p < e && *p == ' ')
		p++;
	s = p;
	p = digits(p, e);
	return p > s && starts(p, e, " kB") && p + 3 == e;
}

/* A metric sample "name{...} 1.5" or "name 3": name chars then a number. */
static bool metric_sample(const char *s, const char *e)
{
	const char *p = s;
	if (p >= e || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
		return false;
	while (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			 *p == ':' || is_digit(*p)))
		p++;
	if (p < e && *p == '{') {
		const char *c = memchr(p, '}', (size_t)(e - p));
		if (!c)
			return false;
		p = c + 1;
	}
	if (p >= e || *p != ' ')
		return false;
	p++;
	if (starts(p, e, "NaN") || starts(p, e, "+Inf") || starts(p, e, "-Inf"))
		return true;
	if (p < e && *p == '-')
		p++;
	return p < e && is_digit(*p) && (digits(p, e) == e || digits(p, e)[0] == '.' ||
					 digits(p, e)[0] == 'e' || digits(p, e)[0] == ' ');
}

static bool ss_row(const char *s, const char *e)
{
	const char *t = s;
	while (t < e && *t != ' ' && *t != '\t')
		t++;
	if (!ss_state_parse(s, (size_t)(t - s))) {
		/* Netid column first. */
		if (!(t - s == 3 && !memcmp(s, "tcp", 3)))
			return false;
		while (t < e && (*t == ' ' || *t == '\t'))
			t++;
		s = t;
		while (t < e && *t != ' ' && *t != '\t')
			t++;
		if (!ss_state_parse(s, (size_t)(t - s)))
			return false;
	}
	while (t < e && (*t == ' ' || *t == '\t'))
		t++;
	if (t >= e || !is_digit(*t))
		return false;
	t = digits(t, e);
	while (t < e && (*t == ' ' || *t == '\t'))
		t++;
	return t < e && is_digit(*t) && contains(t, e, ":");
}

enum vote {
	V_NONE, V_D2, V_D1, V_LEAK1, V_HEAP, V_PFRAME, V_STATUS, V_SMAPS_HDR, V_ROLLUP_HDR,
	V_KB, V_SOCKSTAT, V_SS, V_METRICS, V_MAX
};

static enum vote classify(const char *s, const char *e)
{
	if (e - s >= 1 && (*s == '\t' || *s == ' ')) {
		const char *t = s;
		while (t < e && (*t == '\t' || *t == ' '))
			t++;
		if ((contains(t, e, ".go:") || contains(t, e, ".s:")) && *s == '\t')
			return V_D2;
		if (contains(t, e, "rtt:") || contains(t, e, "cwnd:") || contains(t, e, "lastrcv:") ||
		    contains(t, e, "wscale:") || contains(t, e, "timer:("))
			return V_SS;
		return V_NONE;
	}
	if (goroutine_header(s, e) || starts(s, e, "created by "))
		return V_D2;
	if (starts(s, e, "goroutine profile: total "))
		return V_D1;
	if (starts(s, e, "goroutineleak profile: total "))
		return V_LEAK1;
	if (count_record(s, e) || starts(s, e, "# labels: {"))
		return V_D1;
	if (starts(s, e, "heap profile: ") || heap_record(s, e) || starts(s, e, "# runtime.MemStats"))
		return V_HEAP;
	if (starts(s, e, "#\t0x"))
		return V_PFRAME;
	if (starts(s, e, "# ") && contains(s, e, " = ") && !starts(s, e, "# HELP") && !starts(s, e, "# TYPE"))
		return V_HEAP;
	if (starts(s, e, "# HELP ") || starts(s, e, "# TYPE "))
		return V_METRICS;
	if (status_line(s, e))
		return V_STATUS;
	if (smaps_header(s, e))
		return contains(s, e, "[rollup]") ? V_ROLLUP_HDR : V_SMAPS_HDR;
	if (kb_line(s, e) || starts(s, e, "VmFlags:") || starts(s, e, "THPeligible:") ||
	    starts(s, e, "ProtectionKey:"))
		return V_KB;
	if (starts(s, e, "sockets: used ") ||
	    ((starts(s, e, "TCP: inuse ") || starts(s, e, "TCP6: inuse ") || starts(s, e, "UDP: inuse ") ||
	      starts(s, e, "UDP6: inuse ") || starts(s, e, "UDPLITE: inuse ") ||
	      starts(s, e, "UDPLITE6: inuse ") || starts(s, e, "RAW: inuse ") ||
	      starts(s, e, "RAW6: inuse ") || starts(s, e, "FRAG: inuse ") ||
	      starts(s, e, "FRAG6: inuse "))))
		return V_SOCKSTAT;
	if ((starts(s, e, "State") && contains(s, e, "Recv-Q")) ||
	    (starts(s, e, "Netid") && contains(s, e, "State")) || ss_row(s, e))
		return V_SS;
	/* A Go function call line of a traceback: "pkg.Func(0x1, ...)" or "(...)". */
	{
		const char *paren = memchr(s, '(', (size_t)(e - s));
		if (paren && paren > s && e[-1] == ')' && memchr(s, '.', (size_t)(paren - s)) &&
		    !memchr(s, ' ', (size_t)(paren - s)))
			return V_D2;
	}
	if (metric_sample(s, e))
		return V_METRICS;
	return V_NONE;
}

/* ---- text ---- */

static enum evidence_kind sniff_text(const unsigned char *ubuf, size_t len, struct evidence_sniff_info *info)
{
	const char *buf = (const char *)ubuf, *p = buf, *end;
	unsigned votes[V_MAX] = { 0 }, lines = 0, nonblank = 0;
	enum vote first = V_NONE;
	bool first_seen = false, has_name = false, first_sockstat = false;
	unsigned metrics_strong = 0;
	unsigned kinds[EV_KIND_MAX] = { 0 };
	enum evidence_kind best = EV_UNKNOWN, second = EV_UNKNOWN;

	end = buf + (len > SNIFF_WINDOW ? SNIFF_WINDOW : len);
	while (p < end && lines < SNIFF_MAX_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *s = p;
		enum vote v;
		p = nl ? nl + 1 : end;
		if (!nl && end < buf + len)
			break; /* a line cut by the window is not judged */
		if (le > s && le[-1] == '\r')
			le--;
		lines++;
		if (s == le)
			continue;
		nonblank++;
		v = classify(s, le);
		if (!first_seen) {
			first = v;
			first_seen = true;
			first_sockstat = starts(s, le, "sockets: used ") || starts(s, le, "TCP6: inuse ");
		}
		if (starts(s, le, "Name:\t") || starts(s, le, "Pid:\t"))
			has_name = true;
		if (v == V_METRICS && (*s == '#' || starts(s, le, "go_") || starts(s, le, "process_")))
			metrics_strong++;
		votes[v]++;
	}
	if (info) {
		info->lines = lines;
	}
	/* Profile frame lines belong to whichever profile header is there. */
	if (votes[V_PFRAME]) {
		if (votes[V_HEAP] >= votes[V_D1] + votes[V_LEAK1])
			votes[V_HEAP] += votes[V_PFRAME];
		else if (votes[V_LEAK1])
			votes[V_LEAK1] += votes[V_PFRAME];
		else
			votes[V_D1] += votes[V_PFRAME];
	}
	kinds[EV_GOROUTINE_DEBUG2] = votes[V_D2];
	if (votes[V_LEAK1])
		kinds[EV_GOROUTINELEAK_DEBUG1] = votes[V_LEAK1] + votes[V_D1];
	else
		kinds[EV_GOROUTINE_DEBUG1] = votes[V_D1];
	kinds[EV_HEAP_TEXT] = votes[V_HEAP];
	kinds[EV_PROC_STATUS] = votes[V_STATUS];
	if (votes[V_ROLLUP_HDR] && votes[V_KB])
		kinds[EV_SMAPS_ROLLUP] = votes[V_ROLLUP_HDR] + votes[V_KB];
	else if (votes[V_SMAPS_HDR] && votes[V_KB])
		kinds[EV_SMAPS] = votes[V_SMAPS_HDR] + votes[V_KB];
	kinds[EV_SOCKSTAT] = votes[V_SOCKSTAT];
	kinds[EV_SS_TEXT] = votes[V_SS];
	kinds[EV_METRICS] = votes[V_METRICS];
	for (int k = 1; k < EV_KIND_MAX; k++)
		if (kinds[k] > kinds[best])
			best = (enum evidence_kind)k;
	for (int k = 1; k < EV_KIND_MAX; k++)
		if ((enum evidence_kind)k != best && kinds[k] && kinds[k] > kinds[second])
			second = (enum evidence_kind)k;
	if (info)
		info->votes = kinds[best];
	if (best == EV_UNKNOWN)
		return EV_UNKNOWN;
	/* Enough of the file must be this format, and no tie. */
	if (kinds[best] < 2 || (kinds[best] * 5 < nonblank && kinds[best] < 50))
		return EV_UNKNOWN;
	if (second != EV_UNKNOWN && kinds[second] == kinds[best])
		return EV_UNKNOWN;
	/* Formats whose parser needs its header first. */
	switch (best) {
	case EV_GOROUTINE_DEBUG1:
	case EV_GOROUTINELEAK_DEBUG1:
		if (first != V_D1 && first != V_LEAK1)
			return EV_UNKNOWN;
		break;
	case EV_HEAP_TEXT:
		if (first != V_HEAP)
			return EV_UNKNOWN;
		break;
	case EV_SOCKSTAT:
		if (!first_sockstat)
			return EV_UNKNOWN;
		break;
	case EV_PROC_STATUS:
		if (!has_name)
			return EV_UNKNOWN;
		break;
	case EV_METRICS:
		/* Bare "name value" lines are too common to trust alone: a
		 * HELP/TYPE line or a Go/process collector name must be there. */
		if (!metrics_strong)
			return EV_UNKNOWN;
		break;
	default:
		break;
	}
	if (info && second != EV_UNKNOWN && kinds[second] >= 3 && kinds[second] * 10 >= kinds[best]) {
		info->mixed = true;
		info->other = second;
	}
	return best;
}

/* ---- JSON ---- */

static enum evidence_kind sniff_json(const unsigned char *buf, size_t len)
{
	json_t *root;
	json_error_t jerr;
	enum evidence_kind k = EV_UNKNOWN;

	if (len > SNIFF_MAX_JSON)
		return EV_UNKNOWN;
	root = json_loadb((const char *)buf, len, JSON_ALLOW_NUL, &jerr);
	if (!root)
		return EV_UNKNOWN;
	if (json_is_object(root)) {
		if (json_object_get(root, "godiag_bundle"))
			k = EV_BUNDLE_MANIFEST;
		else if (json_is_object(json_object_get(root, "memstats")) ||
			 json_is_array(json_object_get(root, "cmdline")))
			k = EV_EXPVAR;
	}
	json_decref(root);
	return k;
}

/* ---- binary ---- */

static enum evidence_kind sniff_proto(const unsigned char *buf, size_t len)
{
	struct profile prof;
	struct gd_errbuf eb;
	enum evidence_kind k = EV_UNKNOWN;

	/* The first byte is a Profile field tag: field 1..14 (Go starts with
	 * 11 period_type, others with 1 sample_type), varint or bytes. */
	if (!len || len > SNIFF_MAX_PROTO || (buf[0] >> 3) < 1 || (buf[0] >> 3) > 14 ||
	    ((buf[0] & 7) != 0 && (buf[0] & 7) != 2))
		return EV_UNKNOWN;
	profile_init(&prof);
	if (profile_decode(&prof, buf, len, NULL, &eb) == GD_OK) {
		if (profile_sample_type_index(&prof, "goroutineleak") >= 0)
			k = EV_GOROUTINELEAK_PROTO;
		else if (profile_sample_type_index(&prof, "goroutine") >= 0)
			k = EV_GOROUTINE_PROTO;
		else if (profile_sample_type_index(&prof, "inuse_space") >= 0)
			k = EV_HEAP_PROTO;
	}
	profile_release(&prof);
	return k;
}

static bool looks_binary(const unsigned char *buf, size_t len)
{
	size_t n = len < 8192 ? len : 8192, ctl = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = buf[i];
		if (c == 0)
			return true;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b)
			ctl++;
	}
	return ctl * 100 > n;
}

static enum evidence_kind sniff(const unsigned char *buf, size_t len, struct evidence_sniff_info *info,
				int depth)
{
	size_t i = 0;

	if (!len)
		return EV_UNKNOWN;
	if (gz_is_gzip(buf, len)) {
		unsigned char *out = NULL;
		size_t outlen = 0;
		struct gd_errbuf eb;
		enum evidence_kind k = EV_UNKNOWN;
		info->gzipped = true;
		info->binary = true;
		if (depth > 0)
			return EV_UNKNOWN;
		if (gunzip_buffer(buf, len, SNIFF_MAX_PROTO, &out, &outlen, &eb) == GD_OK)
			k = sniff(out, outlen, info, depth + 1);
		free(out);
		return k;
	}
	if (looks_binary(buf, len)) {
		info->binary = true;
		return sniff_proto(buf, len);
	}
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i < len && buf[i] == '{')
		return sniff_json(buf, len);
	return sniff_text(buf, len, info);
}

enum evidence_kind evidence_sniff_ex(const char *name, const unsigned char *buf, size_t len,
				     struct evidence_sniff_info *info)
{
	struct evidence_sniff_info local;
	(void)name;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	/* godiag's sock_diag recording: frames that start with "GDNL". */
	if (len >= 12 && !memcmp(buf, "GDNL", 4)) {
		info->binary = true;
		return info->kind = EV_NETLINK_RECORDING;
	}
	if (len >= strlen(SERVER_SETTINGS_MAGIC) && !memcmp(buf, SERVER_SETTINGS_MAGIC, strlen(SERVER_SETTINGS_MAGIC)))
		return info->kind = EV_SERVER_SETTINGS;
	info->kind = sniff(buf, len, info, 0);
	if (!info->mixed)
		info->other = EV_UNKNOWN;
	return info->kind;
}

enum evidence_kind evidence_sniff(const char *name, const unsigned char *buf, size_t len)
{
	return evidence_sniff_ex(name, buf, len, NULL);
}
