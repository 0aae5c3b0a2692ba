/* SPDX-License-Identifier: MIT */
/* Effective GODEBUG and memory-return policy of a Go process, worked out
 * from its version, build settings, environment and kernel.  The rules come
 * from the runtime sources (runtime1.go parsedebugvars, mem_linux.go
 * sysUnusedOS) of go1.11 to go1.23; see docs in godebug.h. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/godebug.h"
#include "util/numparse.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Inputs come from the target (environ, build settings); these bound what
 * one process can make us hold. */
#define GODEBUG_MAX_INPUT (64u << 10)
#define GODEBUG_MAX_KEYS 256

/* ---- versions ---------------------------------------------------------- */

/* Parse 1..6 digits (enough for any version component; more is not a
 * version). */
static bool parse_num(const char **sp, int *out)
{
	const char *s = *sp;
	uint64_t v;

	if (!scan_u64(&s, *sp + strlen(*sp), &v) || s - *sp > 6)
		return false;
	*out = (int)v;
	*sp = s;
	return true;
}

bool go_version_parse(const char *s, struct go_version *v)
{
	struct go_version r = { .pre = GO_PRE_RELEASE };

	memset(v, 0, sizeof(*v));
	if (!s)
		return false;
	if (!strncmp(s, "devel ", 6)) {
		r.pre = GO_PRE_DEVEL;
		s += 6;
	}
	if (strncmp(s, "go", 2))
		return false;
	s += 2;
	if (!parse_num(&s, &r.major))
		return false;
	if (*s == '.') {
		s++;
		if (!parse_num(&s, &r.minor))
			return false;
	}
	if (r.pre == GO_PRE_RELEASE && (!strncmp(s, "rc", 2) || !strncmp(s, "beta", 4))) {
		r.pre = s[0] == 'r' ? GO_PRE_RC : GO_PRE_BETA;
		s += s[0] == 'r' ? 2 : 4;
		if (!parse_num(&s, &r.pre_num))
			return false;
	} else if (*s == '.') {
		s++;
		if (!parse_num(&s, &r.patch))
			return false;
	}
	if (*s && *s != ' ' && *s != '-' && *s != '+')
		return false;
	*v = r;
	return true;
}

static int cmp_int(int a, int b)
{
	return a < b ? -1 : a > b;
}

int go_version_cmp(const struct go_version *a, const struct go_version *b)
{
	int c;
	if ((c = cmp_int(a->major, b->major)) || (c = cmp_int(a->minor, b->minor)))
		return c;
	if ((c = cmp_int((int)a->pre, (int)b->pre)))
		return c;
	if (a->pre != GO_PRE_RELEASE)
		return cmp_int(a->pre_num, b->pre_num);
	return cmp_int(a->patch, b->patch);
}

bool go_version_at_least(const struct go_version *v, int major, int minor, int patch)
{
	if (v->major != major)
		return v->major > major;
	if (v->minor != minor)
		return v->minor > minor;
	return v->patch >= patch;
}

bool kernel_release_parse(const char *release, int *major, int *minor)
{
	const char *s = release;
	if (!s || !parse_num(&s, major) || *s != '.')
		return false;
	s++;
	return parse_num(&s, minor);
}

/* ---- -ldflags ----------------------------------------------------------- */

/* Linker flags that take a separate argument (cmd/link/internal/ld/main.go),
 * so "-extldflags -X" is not read as -X. */
static bool link_flag_takes_arg(const char *name, size_t n)
{
	static const char *const names[] = {
		"B", "E", "H", "I", "L", "R", "T", "X", "buildid", "buildmode",
		"capturehostobjs", "benchmark", "benchmarkprofile", "cpuprofile",
		"extar", "extld", "extldflags", "importcfg", "installsuffix", "k",
		"libgcc", "linkmode", "memprofile", "memprofilerate", "o",
		"pluginpath", "r", "strictdups", "tmpdir", "randlayout",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !memcmp(names[i], name, n))
			return true;
	return false;
}

/* cmd/internal/quoted.Split: fields separated by white space; a field that
 * starts with ' or " runs to the matching quote, with no escapes. */
static size_t split_fields(const char *s, const char **f, size_t *fl, size_t max)
{
	size_t nf = 0;
	while (*s && nf < max) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s)
			break;
		if (*s == '"' || *s == '\'') {
			const char *end = strchr(s + 1, *s);
			if (!end)
				break;  /* cmd/go rejects this; so do we */
			f[nf] = s + 1;
			fl[nf++] = (size_t)(end - s - 1);
			s = end + 1;
			continue;
		}
		f[nf] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			s++;
		fl[nf] = (size_t)(s - f[nf]);
		nf++;
	}
	return nf;
}

char *godebug_ldflags_default(const char *ldflags)
{
	static const char sym[] = "runtime.godebugDefault=";
	const size_t symlen = sizeof(sym) - 1;
	const char *f[512];
	size_t fl[512], nf;
	char *found = NULL;

	if (!ldflags || strlen(ldflags) > GODEBUG_MAX_INPUT)
		return NULL;
	while (*ldflags == ' ' || *ldflags == '\t')
		ldflags++;
	/* "-ldflags=PATTERN=FLAGS" (cmd/go PerPackageFlag) when the value does
	 * not start with '-'. */
	if (*ldflags && *ldflags != '-') {
		const char *eq = strchr(ldflags, '=');
		if (!eq)
			return NULL;
		ldflags = eq + 1;
	}
	nf = split_fields(ldflags, f, fl, sizeof(f) / sizeof(f[0]));
	for (size_t i = 0; i < nf; i++) {
		const char *name = f[i], *arg = NULL;
		size_t nlen = fl[i], alen = 0;
		if (nlen < 2 || name[0] != '-')
			break;  /* Go's flag package stops at the first non-flag */
		name++;
		nlen--;
		if (name[0] == '-') {
			name++;
			nlen--;
		}
		const char *eq = memchr(name, '=', nlen);
		if (eq) {
			arg = eq + 1;
			alen = nlen - (size_t)(eq - name) - 1;
			nlen = (size_t)(eq - name);
		} else if (link_flag_takes_arg(name, nlen) && i + 1 < nf) {
			i++;
			arg = f[i];
			alen = fl[i];
		}
		if (nlen != 1 || name[0] != 'X' || !arg)
			continue;
		if (alen >= symlen && !memcmp(arg, sym, symlen)) {
			free(found);
			found = xstrndup(arg + symlen, alen - symlen);
		}
	}
	return found;
}

/* ---- merging ------------------------------------------------------------ */

struct kv {
	char *key, *val;
};

struct merged {
	struct kv kv[GODEBUG_MAX_KEYS];
	size_t n;
	int madvdontneed, disablethp;
	const char *madv_src;   /* who set madvdontneed last */
	const char *thp_src;
};

/* The runtime's atoi32: optional '-', decimal digits, no overflow. */
static bool rt_atoi32(const char *s, size_t n, int *out)
{
	bool neg = false;
	uint64_t v;
	if (n && s[0] == '-') {
		neg = true;
		s++;
		n--;
	}
	if (!parse_u64_n(s, n, &v) || v > (uint64_t)INT32_MAX + neg)
		return false;
	*out = (int)(neg ? -(int64_t)v : (int64_t)v);
	return true;
}

static void merged_set(struct merged *m, const char *k, size_t kl, const char *v, size_t vl)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strlen(m->kv[i].key) == kl && !memcmp(m->kv[i].key, k, kl)) {
			free(m->kv[i].val);
			m->kv[i].val = xstrndup(v, vl);
			return;
		}
	}
	if (m->n >= GODEBUG_MAX_KEYS)
		return;
	m->kv[m->n].key = xstrndup(k, kl);
	m->kv[m->n].val = xstrndup(v, vl);
	m->n++;
}

/* parsegodebug at startup: comma-separated, left to right, key up to the
 * first '='. */
static void merged_apply(struct merged *m, const char *s, const char *src)
{
	if (!s || strlen(s) > GODEBUG_MAX_INPUT)
		return;
	while (*s) {
		const char *end = strchr(s, ',');
		size_t fl = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', fl);
		if (eq && eq != s) {
			size_t kl = (size_t)(eq - s), vl = fl - kl - 1;
			int n;
			merged_set(m, s, kl, eq + 1, vl);
			if (kl == 12 && !memcmp(s, "madvdontneed", 12) && rt_atoi32(eq + 1, vl, &n)) {
				/* The runtime only asks != 0; a negative value counts as 1, so -1
				 * stays free to mean unknown. */
				m->madvdontneed = n < 0 ? 1 : n;
				m->madv_src = src;
			} else if (kl == 10 && !memcmp(s, "disablethp", 10) &&
				   rt_atoi32(eq + 1, vl, &n)) {
				m->disablethp = n < 0 ? 1 : n;
				m->thp_src = src;
			}
		}
		if (!end)
			break;
		s = end + 1;
	}
}

static char *merged_render(const struct merged *m, bool have_madv, bool have_thp)
{
	struct strbuf sb = STRBUF_INIT_MAX(STRBUF_UNLIMITED);
	bool first = true;
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->kv[i].key;
		bool is_madv = !strcmp(k, "madvdontneed"), is_thp = !strcmp(k, "disablethp");
		if ((is_madv && !have_madv) || (is_thp && !have_thp))
			continue;
		strbuf_addf(&sb, "%s%s=", first ? "" : ",", k);
		if (is_madv)
			strbuf_addf(&sb, "%d", m->madvdontneed);
		else if (is_thp)
			strbuf_addf(&sb, "%d", m->disablethp);
		else
			strbuf_addstr(&sb, m->kv[i].val);
		first = false;
	}
	return strbuf_detach(&sb, NULL);
}

static void merged_release(struct merged *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].val);
	}
	m->n = 0;
}

/* ---- policy ------------------------------------------------------------- */

const char *mem_policy_name(enum mem_policy p)
{
	switch (p) {
	case MEM_POLICY_MADV_FREE: return "MADV_FREE";
	case MEM_POLICY_MADV_DONTNEED: return "MADV_DONTNEED";
	default: return "unknown";
	}
}

static void reason(struct godebug_eval *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reason(struct godebug_eval *out, const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(out->reason);
	if (used >= sizeof(out->reason) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(out->reason + used, sizeof(out->reason) - used, fmt, ap);
	va_end(ap);
}

/* MADV_FREE is asked for; the runtime falls back to DONTNEED for good when
 * the kernel rejects it (mem_linux.go), i.e. before Linux 4.5. */
static void policy_free_if_kernel(struct godebug_eval *out, const char *kernel_release,
				  const char *why)
{
	int kmaj, kmin;
	if (!kernel_release_parse(kernel_release, &kmaj, &kmin)) {
		out->policy = MEM_POLICY_UNKNOWN;
		reason(out, "%s asks for MADV_FREE, but the kernel release is unknown "
		       "(MADV_FREE needs Linux >= 4.5)", why);
	} else if (kmaj < 4 || (kmaj == 4 && kmin < 5)) {
		out->policy = MEM_POLICY_MADV_DONTNEED;
		reason(out, "%s asks for MADV_FREE, but kernel %d.%d lacks it (needs 4.5), "
		       "so the runtime falls back to MADV_DONTNEED", why, kmaj, kmin);
	} else {
		out->policy = MEM_POLICY_MADV_FREE;
		reason(out, "%s, and kernel %d.%d >= 4.5 has MADV_FREE", why, kmaj, kmin);
	}
}

void godebug_eval_compute(struct godebug_eval *out, const char *go_version,
			  const char *kernel_release, const char *default_godebug,
			  const char *ldflags, const char *env_godebug)
{
	struct merged *m = xcalloc(1, sizeof(*m));
	struct go_version v;
	bool vok = go_version_parse(go_version, &v);
	bool have_madv = vok && go_version_at_least(&v, 1, 12, 0);
	bool madv_default_dontneed = vok && go_version_at_least(&v, 1, 16, 0);
	bool have_thp = vok && (go_version_at_least(&v, 1, 22, 0) ||
				(v.major == 1 && v.minor == 21 && v.patch >= 6));
	bool have_gdd = vok && go_version_at_least(&v, 1, 21, 0);
	char *xdef = godebug_ldflags_default(ldflags);
	char src[96];

	memset(out, 0, sizeof(*out));
	out->madvdontneed = -1;
	out->disablethp = -1;

	/* 1. runtime defaults */
	m->madvdontneed = madv_default_dontneed ? 1 : 0;
	m->madv_src = "the runtime default";
	m->thp_src = "the runtime default";
	if (have_madv)
		merged_set(m, "madvdontneed", 12, "", 0);
	if (have_thp)
		merged_set(m, "disablethp", 10, "", 0);
	/* 2. godebugDefault: a user -X replaces cmd/go's DefaultGODEBUG -X */
	if (have_gdd || !vok) {
		if (xdef)
			merged_apply(m, xdef, "-ldflags -X runtime.godebugDefault");
		else
			merged_apply(m, default_godebug, "the DefaultGODEBUG build setting");
	}
	/* 3. environment */
	merged_apply(m, env_godebug, "the GODEBUG environment");

	if (have_madv)
		out->madvdontneed = m->madvdontneed;
	if (have_thp)
		out->disablethp = m->disablethp;
	out->effective = merged_render(m, have_madv, have_thp);

	if (!vok) {
		out->policy = MEM_POLICY_UNKNOWN;
		reason(out, "Go version %s%s%s is unknown, so the memory policy cannot be told",
		       go_version ? "\"" : "", go_version ? go_version : "(none)",
		       go_version ? "\"" : "");
	} else if (!have_madv) {
		out->policy = MEM_POLICY_MADV_DONTNEED;
		reason(out, "go%d.%d predates MADV_FREE use (go1.12): always MADV_DONTNEED",
		       v.major, v.minor);
	} else if (m->madvdontneed != 0) {
		out->policy = MEM_POLICY_MADV_DONTNEED;
		if (madv_default_dontneed && !strcmp(m->madv_src, "the runtime default"))
			reason(out, "go%d.%d: MADV_DONTNEED is the default since go1.16",
			       v.major, v.minor);
		else
			reason(out, "go%d.%d: madvdontneed=%d from %s selects MADV_DONTNEED",
			       v.major, v.minor, m->madvdontneed, m->madv_src);
	} else {
		if (!madv_default_dontneed && !strcmp(m->madv_src, "the runtime default"))
			snprintf(src, sizeof(src), "go%d.%d (1.12-1.15 default)", v.major, v.minor);
		else
			snprintf(src, sizeof(src), "go%d.%d with madvdontneed=0 from %s",
				 v.major, v.minor, m->madv_src);
		policy_free_if_kernel(out, kernel_release, src);
	}
	if (vok && !have_gdd && xdef && strstr(xdef, "madvdontneed"))
		reason(out, "; -X runtime.godebugDefault is ignored before go1.21");

	free(xdef);
	merged_release(m);
	free(m);
}

void godebug_eval_release(struct godebug_eval *ev)
{
	free(ev->effective);
	ev->effective = NULL;
}
