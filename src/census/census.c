/* SPDX-License-Identifier: MIT */
/* The goroutine census; see census.h.  The unwinder and the printing follow
 * runtime/traceback.go of each release (1.19's gentraceback, 1.21+'s
 * unwinder and traceback2), amd64 only. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "census/census.h"
#include "census/pclntab.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define MAX_FRAMES 100000u       /* physical frames per goroutine */
#define MAX_STACK_READ ((uint64_t)64 << 20)
#define RETRIES 4
#define G_READ_MAX 1024u
/* A scan for the pclntab or moduledata covers this much of a segment at
 * most: more than any Go binary holds, and a hostile header's 2^47-byte
 * segment would otherwise be billions of failing reads. */
#define SCAN_MAX ((uint64_t)1 << 30)
#define STATUS_DEAD 6
#define STATUS_RUNNING 2
#define STATUS_SYSCALL 3
#define STATUS_WAITING 4
#define GSCAN 0x1000u

static const char *const gstatus_names[] = {
	"idle", "runnable", "running", "syscall", "waiting", "moribund_unused", "dead",
	"enqueue_unused", "copystack", "preempted",
};

/* Wait reasons per release, for binaries without runtime.waitReasonStrings
 * in .symtab (-s): copied from runtime2.go of each release. */
static const char *const wr_common[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait",
};
static const char *const wr_119[] = {
	"timer goroutine (idle)", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "preempted", "debug call",
};
static const char *const wr_121[] = {
	"sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world", "flushing proc caches",
	"trace goroutine status", "trace proc status", "page trace flush", "coroutine",
	"GC weak to strong wait",
};

struct logf {
	char *name, *file;
	int32_t line;
	uint8_t funcid;
	bool inlined;
};

struct pcent {
	uint64_t key;       /* pc << 1 | trap; 0 = empty */
	int ok;
	struct pcl_func f;
	int32_t spdelta;
	char *fname;
	struct logf *log;
	size_t nlog;
	const unsigned char *arginfo; /* copied, up to 256 bytes, or NULL */
	size_t arginfo_len;
	unsigned char *liveinfo;
	size_t liveinfo_len;
	int32_t liveidx;
	int injected;       /* asyncPreempt, sigpanic, debugCallV2 */
	int topframe;
};

struct ctx {
	struct procmem *m;
	struct census_facts *f;
	struct pclntab t;
	int minor;
	uint8_t fid_wrapper;
	char **wr;
	size_t nwr;
	struct pcent *ents;
	size_t nents, aents;
	int64_t now;
	unsigned char *stack;
	size_t stack_alloc;
	/* moduledata */
	uint64_t text, etext, bss, ebss, noptrbss, enoptrbss, gofunc;
};

static enum gd_err pcl_read(void *c, uint64_t addr, void *buf, size_t n)
{
	return procmem_read(c, addr, buf, n);
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* ---- pc memo ---- */

static void ent_free(struct pcent *e)
{
	free(e->fname);
	for (size_t i = 0; i < e->nlog; i++) {
		free(e->log[i].name);
		free(e->log[i].file);
	}
	free(e->log);
	free((void *)e->arginfo);
	free(e->liveinfo);
}

static struct pcent *slot(struct ctx *c, uint64_t key)
{
	size_t mask = c->aents - 1, h = (size_t)(key * 0x9e3779b97f4a7c15ull) & mask;
	while (c->ents[h].key && c->ents[h].key != key)
		h = (h + 1) & mask;
	return &c->ents[h];
}

static int is_injected(const char *n)
{
	return !strcmp(n, "runtime.asyncPreempt") || !strcmp(n, "runtime.sigpanic") ||
	       !strcmp(n, "runtime.debugCallV2");
}

static int is_top_by_name(const char *n)
{
	return !strcmp(n, "runtime.goexit") || !strcmp(n, "runtime.mstart") ||
	       !strcmp(n, "runtime.mcall") || !strcmp(n, "runtime.morestack") ||
	       !strcmp(n, "runtime.rt0_go");
}

/* Everything about one pc the walk and the printer need, computed once. */
static const struct pcent *lookup_pc(struct ctx *c, uint64_t pc, int trap)
{
	uint64_t key = pc << 1 | (uint64_t)!!trap;
	if (c->aents == 0 || (c->nents + 1) * 2 > c->aents) {
		struct pcent *old = c->ents;
		size_t n = c->aents;
		c->aents = n ? n * 2 : 1024;
		c->ents = xcalloc(c->aents, sizeof(*c->ents));
		for (size_t i = 0; i < n; i++)
			if (old[i].key)
				*slot(c, old[i].key) = old[i];
		free(old);
	}
	struct pcent *e = slot(c, key);
	if (e->key)
		return e->ok ? e : NULL;
	e->key = key;
	c->nents++;
	if (pclntab_findfunc(&c->t, pc, &e->f))
		return NULL;
	char name[PCL_NAME_MAX];
	if (pclntab_name(&c->t, e->f.nameoff, name, sizeof(name)))
		return NULL;
	e->fname = xstrdup(name);
	e->injected = is_injected(name);
	e->topframe = (c->t.layout >= PCL_118 || c->minor >= 17) ? (e->f.flag & PCL_FLAG_TOPFRAME) != 0
								  : is_top_by_name(name);
	if (e->f.pcsp && pclntab_spdelta(&c->t, &e->f, pc, &e->spdelta))
		return NULL;
	uint64_t sympc = !trap && pc > e->f.entry ? pc - 1 : pc;
	static struct pcl_frame fr[PCL_MAX_INLINE];
	size_t n = 0;
	if (pclntab_expand(&c->t, &e->f, sympc, fr, PCL_MAX_INLINE, &n))
		return NULL;
	e->log = xcalloc(n, sizeof(*e->log));
	for (size_t i = 0; i < n; i++) {
		e->log[i].name = xstrdup(fr[i].name);
		e->log[i].file = xstrdup(fr[i].file);
		e->log[i].line = fr[i].line;
		e->log[i].funcid = fr[i].funcid;
		e->log[i].inlined = fr[i].inlined;
	}
	e->nlog = n;
	/* arguments: FUNCDATA_ArgInfo (1.17+), liveness (1.18+) */
	uint64_t ai = 0, li = 0;
	if (c->t.layout >= PCL_116 && !pclntab_funcdata(&c->t, &e->f, PCL_FUNCDATA_ARGINFO, &ai) && ai) {
		unsigned char buf[256];
		size_t k = 0;
		/* read byte by byte through the page cache; stop at 0xff (end) */
		while (k < sizeof(buf) && !procmem_read(c->m, ai + k, &buf[k], 1)) {
			if (buf[k] == 0xff)
				break;
			k++;
		}
		if (k < sizeof(buf) && buf[k] == 0xff) {
			e->arginfo = xmemdup(buf, k + 1);
			e->arginfo_len = k + 1;
		}
	}
	if (e->arginfo && !pclntab_funcdata(&c->t, &e->f, PCL_FUNCDATA_ARGLIVEINFO, &li) && li) {
		int32_t idx = -1;
		if (!pclntab_pcdata(&c->t, &e->f, PCL_PCDATA_ARGLIVEINDEX, sympc, &idx) && idx > 0 &&
		    idx < 4096) {
			size_t need = (size_t)idx + 8;
			e->liveinfo = xmalloc(need);
			if (procmem_read(c->m, li, e->liveinfo, need)) {
				free(e->liveinfo);
				e->liveinfo = NULL;
			} else {
				e->liveinfo_len = need;
				e->liveidx = idx;
			}
		} else if (idx <= 0) {
			e->liveidx = idx;
		}
	}
	e->ok = 1;
	return e;
}

/* ---- showframe (traceback.go) ---- */

static int is_exported_runtime(const char *name)
{
	if (strncmp(name, "runtime.", 8))
		return 0;
	const char *n = name + 8;
	const char *dot = strrchr(n, '.');
	const char *rcvr = NULL;
	size_t rl = 0;
	if (dot) {
		rcvr = n;
		rl = (size_t)(dot - n);
		n = dot + 1;
		if (rl >= 3 && rcvr[0] == '(' && rcvr[1] == '*' && rcvr[rl - 1] == ')') {
			rcvr += 2;
			rl -= 3;
		}
	}
	return n[0] >= 'A' && n[0] <= 'Z' && (!rcvr || (rl > 0 && rcvr[0] >= 'A' && rcvr[0] <= 'Z'));
}

static int panicky(const char *callee)
{
	return callee && (!strcmp(callee, "runtime.gopanic") || !strcmp(callee, "runtime.sigpanic") ||
			  !strcmp(callee, "runtime.panicwrap"));
}

static int showframe(const struct ctx *c, const char *name, uint8_t funcid, int first,
		     const char *callee)
{
	if (funcid == c->fid_wrapper && !panicky(callee))
		return 0;
	if (!strcmp(name, "runtime.gopanic") && !first)
		return 1;
	return strchr(name, '.') && (strncmp(name, "runtime.", 8) || is_exported_runtime(name));
}

static void add_funcname(const struct ctx *c, struct strbuf *o, const char *name)
{
	if (!strcmp(name, "runtime.gopanic")) {
		strbuf_addstr(o, "panic");
		return;
	}
	const char *i = strchr(name, '[');
	const char *j = strrchr(name, ']');
	if (c->minor >= 21 && i && j && j > i) {
		strbuf_add(o, name, (size_t)(i - name));
		strbuf_addstr(o, "[...]");
		strbuf_addstr(o, j + 1);
		return;
	}
	strbuf_addstr(o, name);
}

/* ---- one goroutine ---- */

struct pframe {
	const struct pcent *e;
	uint64_t pc, sp, fp;
};

struct gstate {
	uint64_t addr, goid, lo, hi, sp, pc, ssp, spc, waitsince, lockedm, gopc, startpc, parent, m;
	uint32_t status;
	uint8_t wr;
};

static int parse_g(const struct ctx *c, uint64_t addr, const unsigned char *b, struct gstate *g)
{
	const struct g_offsets *o = &c->f->off;
	g->addr = addr;
	g->lo = le64(b + o->stack_lo);
	g->hi = le64(b + o->stack_hi);
	g->m = le64(b + o->m);
	g->sp = le64(b + o->sched_sp);
	g->pc = le64(b + o->sched_pc);
	g->ssp = le64(b + o->syscallsp);
	g->spc = le64(b + o->syscallpc);
	g->status = le32(b + o->atomicstatus);
	g->goid = le64(b + o->goid);
	g->waitsince = le64(b + o->waitsince);
	g->wr = b[o->waitreason];
	g->lockedm = le64(b + o->lockedm);
	g->gopc = le64(b + o->gopc);
	g->startpc = le64(b + o->startpc);
	g->parent = o->has_parentgoid ? le64(b + o->parentgoid) : 0;
	uint32_t st = g->status & ~GSCAN;
	return st <= 9 && g->goid < (1ull << 48);
}

static size_t g_read_len(const struct census_facts *f)
{
	const struct g_offsets *o = &f->off;
	uint32_t mx = 0, v[] = { o->stack_hi, o->m, o->sched_sp, o->sched_pc, o->syscallsp,
				 o->syscallpc, o->atomicstatus, o->goid, o->waitsince,
				 o->waitreason, o->lockedm, o->parentgoid, o->gopc, o->startpc };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] > mx)
			mx = v[i];
	return mx + 8 > G_READ_MAX ? G_READ_MAX : mx + 8;
}

static int in_text(const struct ctx *c, uint64_t pc)
{
	return pc >= c->t.minpc && pc < c->t.maxpc;
}

/* Unwind from (pc, sp) over the stack copy [base, hi).  0 when the walk
 * reached the top frame through valid pcs. */
static int unwind(struct ctx *c, uint64_t pc, uint64_t sp, uint64_t base, uint64_t hi,
		  struct pframe **out, size_t *nout, size_t *aout)
{
	int trap = 0;
	*nout = 0;
	for (unsigned n = 0; n < MAX_FRAMES; n++) {
		if (!in_text(c, pc))
			return -1;
		const struct pcent *e = lookup_pc(c, pc, trap);
		if (!e)
			return -1;
		ALLOC_GROW(*out, *nout + 1, *aout);
		struct pframe *fr = &(*out)[(*nout)++];
		fr->e = e;
		fr->pc = pc;
		fr->sp = sp;
		if (!e->f.pcsp)
			return -1;
		if (e->spdelta < 0 || (uint64_t)e->spdelta > hi - sp)
			return -1;
		fr->fp = sp + (uint64_t)e->spdelta + 8;
		if (e->topframe)
			return 0;
		if (e->f.flag & PCL_FLAG_SPWRITE)
			return -1; /* Go stops here too, with an error printed */
		if (fr->fp - 8 < base || fr->fp > hi)
			return -1;
		uint64_t lr = le64(c->stack + (fr->fp - 8 - base));
		if (lr == pc && fr->fp == sp)
			return -1;
		trap = e->injected;
		pc = lr;
		sp = fr->fp;
	}
	return -1;
}

static void add_args(const struct ctx *c, struct strbuf *o, const struct pcent *e, uint64_t argp,
		     uint64_t base, uint64_t hi)
{
	if (!e->arginfo)
		return;
	const unsigned char *p = e->arginfo;
	uint8_t start_off = 0xff;
	if (e->liveinfo)
		start_off = e->liveinfo[0];
	int start = 1;
	uint8_t slot_idx = 0;
	for (size_t pi = 0; pi < e->arginfo_len;) {
		uint8_t op = p[pi++];
		switch (op) {
		case 0xff:
			return;
		case 0xfe:
			if (!start)
				strbuf_addstr(o, ", ");
			strbuf_addch(o, '{');
			start = 1;
			continue;
		case 0xfd:
			strbuf_addch(o, '}');
			break;
		case 0xfc:
			if (!start)
				strbuf_addstr(o, ", ");
			strbuf_addstr(o, "...");
			break;
		case 0xfb:
			if (!start)
				strbuf_addstr(o, ", ");
			strbuf_addch(o, '_');
			break;
		default: {
			if (!start)
				strbuf_addstr(o, ", ");
			if (pi >= e->arginfo_len)
				return;
			uint8_t sz = p[pi++];
			uint64_t x = 0;
			uint64_t a = argp + op;
			if (a >= base && a + 8 <= hi)
				x = le64(c->stack + (a - base));
			if (sz < 8 && sz > 0) {
				unsigned shift = 64 - sz * 8u;
				x = x << shift >> shift;
			}
			strbuf_addf(o, "0x%" PRIx64, x);
			int live = 1;
			if (e->liveinfo && e->liveidx > 0 && op >= start_off) {
				size_t bi = (size_t)e->liveidx + slot_idx / 8;
				live = bi < e->liveinfo_len && (e->liveinfo[bi] >> (slot_idx % 8)) & 1;
			}
			if (!live)
				strbuf_addch(o, '?');
			if (op >= start_off)
				slot_idx++;
			break;
		}
		}
		start = 0;
	}
}

/* Print one physical frame's logical frames from index `from`; shown[]
 * holds the visibility decided by the caller. */
struct lframe {
	const struct pframe *pf;
	size_t li;
};

static void print_lframe(const struct ctx *c, struct strbuf *o, const struct lframe *lf,
			 uint64_t base, uint64_t hi)
{
	const struct pcent *e = lf->pf->e;
	const struct logf *l = &e->log[lf->li];
	add_funcname(c, o, l->name);
	strbuf_addch(o, '(');
	if (l->inlined)
		strbuf_addstr(o, "...");
	else
		add_args(c, o, e, lf->pf->fp, base, hi);
	strbuf_addf(o, ")\n\t%s:%d", l->file, l->line);
	if (!l->inlined && lf->pf->pc > e->f.entry)
		strbuf_addf(o, " +0x%" PRIx64, lf->pf->pc - e->f.entry);
	strbuf_addch(o, '\n');
}

/* Logical frames shown, as traceback2 / gentraceback choose them. */
static size_t select_frames(const struct ctx *c, const struct pframe *pf, size_t npf, int all,
			    struct lframe **out, size_t *aout, size_t max_phys)
{
	size_t n = 0;
	const char *callee = NULL;
	for (size_t i = 0; i < npf && i < max_phys; i++) {
		const struct pcent *e = pf[i].e;
		for (size_t li = 0; li < e->nlog; li++) {
			const struct logf *l = &e->log[li];
			int show = all || showframe(c, l->name, l->funcid, n == 0, callee);
			callee = l->name;
			if (!show)
				continue;
			ALLOC_GROW(*out, n + 1, *aout);
			(*out)[n].pf = &pf[i];
			(*out)[n].li = li;
			n++;
		}
		callee = e->fname;
	}
	return n;
}

static void print_createdby(struct ctx *c, struct strbuf *o, const struct gstate *g)
{
	if (g->goid == 1 || !g->gopc)
		return;
	const struct pcent *e = lookup_pc(c, g->gopc, 0);
	if (!e || !showframe(c, e->fname, e->f.funcid, 0, NULL))
		return;
	strbuf_addstr(o, "created by ");
	add_funcname(c, o, e->fname);
	if (c->minor >= 21 && g->parent)
		strbuf_addf(o, " in goroutine %" PRIu64, g->parent);
	strbuf_addch(o, '\n');
	/* the physical function's file:line at gopc-1 (inlining ignored, as
	 * funcline does) */
	char file[PCL_NAME_MAX];
	int32_t line = 0;
	uint64_t tpc = g->gopc > e->f.entry ? g->gopc - 1 : g->gopc;
	if (pclntab_fileline(&c->t, &e->f, tpc, file, sizeof(file), &line))
		snprintf(file, sizeof(file), "?");
	strbuf_addf(o, "\t%s:%d", file, line);
	if (g->gopc > e->f.entry)
		strbuf_addf(o, " +0x%" PRIx64, g->gopc - e->f.entry);
	strbuf_addch(o, '\n');
}

static void print_header(struct ctx *c, struct strbuf *o, const struct gstate *g)
{
	uint32_t st = g->status & ~GSCAN;
	const char *s = st < sizeof(gstatus_names) / sizeof(gstatus_names[0]) ? gstatus_names[st] : "???";
	if (st == STATUS_WAITING && g->wr != 0)
		s = g->wr < c->nwr ? c->wr[g->wr] : "unknown wait reason";
	strbuf_addf(o, "goroutine %" PRIu64 " [%s", g->goid, s);
	if (g->status & GSCAN)
		strbuf_addstr(o, " (scan)");
	if ((st == STATUS_WAITING || st == STATUS_SYSCALL) && g->waitsince && c->now) {
		int64_t w = (c->now - (int64_t)g->waitsince) / 60000000000LL;
		if (w >= 1)
			strbuf_addf(o, ", %" PRId64 " minutes", w);
	}
	if (g->lockedm)
		strbuf_addstr(o, ", locked to thread");
	strbuf_addstr(o, "]:\n");
}

static void print_stack(struct ctx *c, struct strbuf *o, const struct gstate *g,
			const struct pframe *pf, size_t npf, uint64_t base, uint64_t hi)
{
	static struct lframe *lf;
	static size_t alf;
	if (c->minor >= 21 || c->minor == 0) {
		size_t n = select_frames(c, pf, npf, 0, &lf, &alf, npf);
		if (n == 0)
			n = select_frames(c, pf, npf, 1, &lf, &alf, npf);
		if (n <= 100) {
			for (size_t i = 0; i < n; i++)
				print_lframe(c, o, &lf[i], base, hi);
		} else {
			for (size_t i = 0; i < 50; i++)
				print_lframe(c, o, &lf[i], base, hi);
			strbuf_addf(o, "...%zu frames elided...\n", n - 100);
			for (size_t i = n - 50; i < n; i++)
				print_lframe(c, o, &lf[i], base, hi);
		}
	} else {
		size_t n = select_frames(c, pf, npf, 0, &lf, &alf, 100);
		if (n == 0)
			n = select_frames(c, pf, npf, 1, &lf, &alf, 100);
		for (size_t i = 0; i < n; i++)
			print_lframe(c, o, &lf[i], base, hi);
		if (n == 100)
			strbuf_addstr(o, "...additional frames elided...\n");
	}
	print_createdby(c, o, g);
}

static int is_system(struct ctx *c, const struct gstate *g)
{
	const struct pcent *e = lookup_pc(c, g->startpc, 1);
	if (!e)
		return 0;
	const char *n = e->fname;
	if (!strcmp(n, "runtime.main") || !strcmp(n, "runtime.corostart") ||
	    !strcmp(n, "runtime.handleAsyncEvent"))
		return 0;
	return !strncmp(n, "runtime.", 8);
}

enum gres { G_OK, G_SKIP, G_UNREADABLE, G_GONE };

static enum gres census_one(struct ctx *c, uint64_t gaddr, const unsigned char *gb0,
			    struct strbuf *o, struct census_stats *st)
{
	size_t glen = g_read_len(c->f);
	unsigned char gb[G_READ_MAX], gb2[G_READ_MAX];
	memcpy(gb, gb0, glen);
	static struct pframe *pf;
	static size_t apf;
	for (int attempt = 0; attempt < RETRIES; attempt++) {
		if (attempt) {
			st->retries++;
			enum gd_err e = procmem_read(c->m, gaddr, gb, glen);
			if (e == GD_ENOENT)
				return G_GONE;
			if (e)
				continue;
		}
		struct gstate g;
		if (!parse_g(c, gaddr, gb, &g))
			continue;
		uint32_t s = g.status & ~GSCAN;
		if (s == STATUS_DEAD) {
			st->dead++;
			return G_SKIP;
		}
		if (is_system(c, &g)) {
			st->system++;
			return G_SKIP;
		}
		if (s == STATUS_RUNNING) {
			print_header(c, o, &g);
			strbuf_addstr(o, "\tgoroutine running on other thread; stack unavailable\n");
			print_createdby(c, o, &g);
			strbuf_addch(o, '\n');
			st->running++;
			return G_OK;
		}
		uint64_t pc = g.pc, sp = g.sp;
		if (s == STATUS_SYSCALL || g.ssp) {
			pc = g.spc;
			sp = g.ssp;
		}
		if (pc == 0 && sp) {
			/* initAt: pc from the stack; rare, only for fresh gs */
			continue;
		}
		if (g.lo >= g.hi || g.hi - g.lo > (1ull << 30) || sp < g.lo || sp >= g.hi ||
		    (sp & 7) || !in_text(c, pc))
			continue;
		uint64_t len = g.hi - sp;
		if (len > MAX_STACK_READ)
			return G_UNREADABLE;
		if (c->stack_alloc < len) {
			free(c->stack);
			c->stack_alloc = (size_t)len;
			c->stack = xmalloc(c->stack_alloc);
		}
		enum gd_err e = procmem_read(c->m, sp, c->stack, (size_t)len);
		if (e == GD_ENOENT)
			return G_GONE;
		if (e)
			continue;
		/* the g again: the stack must not have moved, the g not be reused */
		e = procmem_read(c->m, gaddr, gb2, glen);
		if (e == GD_ENOENT)
			return G_GONE;
		struct gstate g2;
		if (e || !parse_g(c, gaddr, gb2, &g2) || g2.goid != g.goid || g2.status != g.status ||
		    g2.sp != g.sp || g2.ssp != g.ssp || g2.lo != g.lo || g2.hi != g.hi ||
		    g2.pc != g.pc) {
			memcpy(gb, gb2, glen);
			if (!e)
				attempt--, st->retries++; /* a fresh g in hand: re-walk without re-reading */
			if (st->retries > 1000000)
				return G_UNREADABLE;
			continue;
		}
		size_t npf = 0;
		if (unwind(c, pc, sp, sp, g.hi, &pf, &npf, &apf))
			continue;
		print_header(c, o, &g);
		print_stack(c, o, &g, pf, npf, sp, g.hi);
		strbuf_addch(o, '\n');
		return G_OK;
	}
	return G_UNREADABLE;
}

/* ---- finding things in stripped binaries ---- */

static uint64_t scan_for_word(struct ctx *c, uint64_t lo, uint64_t hi, uint64_t want,
			      int (*check)(struct ctx *, uint64_t), size_t align)
{
	static unsigned char buf[65536];
	if (hi > lo && hi - lo > SCAN_MAX)
		hi = lo + SCAN_MAX;
	for (uint64_t a = lo; a < hi; a += sizeof(buf) - 16) {
		size_t n = (size_t)(hi - a < sizeof(buf) ? hi - a : sizeof(buf));
		if (n < 16)
			break;
		if (procmem_read(c->m, a, buf, n))
			continue;
		for (size_t i = (size_t)((align - (a % align)) % align); i + 16 <= n; i += align) {
			if (want && le64(buf + i) != want)
				continue;
			if (!want && !pclntab_header_ok(buf + i, n - i))
				continue;
			if (!check || check(c, a + i))
				return a + i;
		}
	}
	return 0;
}

static int check_pclntab(struct ctx *c, uint64_t addr)
{
	struct pclntab t;
	if (pclntab_init(&t, pcl_read, c->m, addr, 0, 0, NULL))
		return 0;
	for (int i = 0; i < c->f->nsegs; i++)
		if (c->f->segs[i].exec && t.minpc >= c->f->segs[i].lo && t.maxpc <= c->f->segs[i].hi)
			return 1;
	return 0;
}

static int read_moduledata(struct ctx *c, uint64_t md)
{
	unsigned char b[336];
	if (procmem_read(c->m, md, b, sizeof(b)))
		return -1;
	if (le64(b) != c->t.base)
		return -1;
	if (c->t.layout == PCL_12) {
		c->text = le64(b + 96); c->etext = le64(b + 104);
		c->bss = le64(b + 144); c->ebss = le64(b + 152);
		c->noptrbss = le64(b + 160); c->enoptrbss = le64(b + 168);
		if (le64(b + 80) != c->t.minpc)
			return -1;
	} else {
		c->text = le64(b + 176); c->etext = le64(b + 184);
		c->bss = le64(b + 224); c->ebss = le64(b + 232);
		c->noptrbss = le64(b + 240); c->enoptrbss = le64(b + 248);
		if (le64(b + 160) != c->t.minpc)
			return -1;
		if (c->t.layout == PCL_118)
			c->gofunc = le64(b + 304);
		else if (c->t.layout == PCL_120)
			c->gofunc = le64(b + 320);
	}
	if (c->text > c->t.minpc || c->etext < c->text || c->ebss < c->bss || c->enoptrbss < c->noptrbss)
		return -1;
	return 0;
}

static int check_md(struct ctx *c, uint64_t addr)
{
	return read_moduledata(c, addr) == 0;
}

static int in_bss(const struct ctx *c, uint64_t a)
{
	return (a >= c->bss && a + 8 <= c->ebss) || (a >= c->noptrbss && a + 8 <= c->enoptrbss);
}

/* Decode runtime.allgadd's RIP-relative operands (mov/lea/xchg/cmp with
 * ModRM mod=00 rm=101); allgs is the slice whose +8/+16 are referenced too;
 * allglen and allgptr are the targets whose values equal allgs.len/.ptr. */
static int find_allgs_by_code(struct ctx *c, char *how, size_t hcap)
{
	struct pcl_func f;
	if (pclntab_lookup(&c->t, "runtime.allgadd", &f))
		return -1;
	unsigned char code[4096];
	size_t n = (size_t)(f.end - f.entry);
	if (n > sizeof(code))
		n = sizeof(code);
	if (procmem_read(c->m, f.entry, code, n))
		return -1;
	uint64_t tg[64];
	size_t nt = 0;
	for (size_t i = 0; i + 7 <= n && nt < 64; i++) {
		size_t op = i, next = 0;
		if ((code[i] & 0xf0) == 0x40)
			op = i + 1;
		uint8_t o = code[op];
		if (op + 6 > n)
			break;
		if ((o == 0x8b || o == 0x89 || o == 0x8d || o == 0x87 || o == 0x39 || o == 0x3b) &&
		    (code[op + 1] & 0xc7) == 0x05)
			next = op + 6;
		else if (o == 0x83 && (code[op + 1] & 0xc7) == 0x05 && op + 7 <= n)
			next = op + 7;
		if (!next)
			continue;
		int32_t disp;
		memcpy(&disp, code + op + 2, 4);
		uint64_t t = f.entry + next + (int64_t)disp;
		if (!in_bss(c, t))
			continue;
		int dup = 0;
		for (size_t k = 0; k < nt; k++)
			dup |= tg[k] == t;
		if (!dup)
			tg[nt++] = t;
	}
	for (size_t i = 0; i < nt; i++) {
		int has8 = 0;
		for (size_t k = 0; k < nt; k++)
			has8 |= tg[k] == tg[i] + 8 || tg[k] == tg[i] + 16;
		if (!has8)
			continue;
		unsigned char s[24];
		if (procmem_read(c->m, tg[i], s, 24))
			continue;
		uint64_t ptr = le64(s), len = le64(s + 8), cap = le64(s + 16);
		if (!ptr || (ptr & 7) || !len || len > cap || cap > CENSUS_MAX_GS)
			continue;
		c->f->allgs = tg[i];
		for (size_t k = 0; k < nt; k++) {
			uint64_t v;
			if (tg[k] == tg[i] || tg[k] == tg[i] + 8 || tg[k] == tg[i] + 16 ||
			    procmem_read(c->m, tg[k], &v, 8))
				continue;
			if (v == ptr && !c->f->allgptr)
				c->f->allgptr = tg[k];
			else if (v == len && !c->f->allglen)
				c->f->allglen = tg[k];
		}
		snprintf(how, hcap, "allgs found by decoding runtime.allgadd");
		return 0;
	}
	return -1;
}

static void load_waitreasons(struct ctx *c)
{
	struct census_facts *f = c->f;
	if (f->waitreasons && f->nwaitreasons > 0 && f->nwaitreasons < 256) {
		unsigned char *b = xmalloc((size_t)f->nwaitreasons * 16);
		if (!procmem_read(c->m, f->waitreasons, b, (size_t)f->nwaitreasons * 16)) {
			c->wr = xcalloc(f->nwaitreasons, sizeof(char *));
			c->nwr = f->nwaitreasons;
			for (size_t i = 0; i < c->nwr; i++) {
				uint64_t p = le64(b + 16 * i), l = le64(b + 16 * i + 8);
				char s[128] = "";
				if (l < sizeof(s) && (l == 0 || !procmem_read(c->m, p, s, (size_t)l)))
					s[l] = 0;
				else
					snprintf(s, sizeof(s), "unknown wait reason");
				c->wr[i] = xstrdup(s);
			}
			free(b);
			return;
		}
		free(b);
	}
	size_t nc = sizeof(wr_common) / sizeof(wr_common[0]);
	const char *const *tail = NULL;
	size_t nt = 0;
	if (c->minor >= 18 && c->minor <= 19) {
		tail = wr_119;
		nt = sizeof(wr_119) / sizeof(wr_119[0]);
	} else if (c->minor >= 20 && c->minor <= 23) {
		tail = wr_121;
		nt = c->minor == 23 ? 17 : c->minor == 22 ? 16 : 11;
	}
	c->nwr = nc + nt;
	c->wr = xcalloc(c->nwr, sizeof(char *));
	for (size_t i = 0; i < nc; i++)
		c->wr[i] = xstrdup(wr_common[i]);
	for (size_t i = 0; i < nt; i++)
		c->wr[nc + i] = xstrdup(tail[i]);
}

static void ctx_release(struct ctx *c)
{
	for (size_t i = 0; i < c->aents; i++)
		if (c->ents[i].key)
			ent_free(&c->ents[i]);
	free(c->ents);
	for (size_t i = 0; i < c->nwr; i++)
		free(c->wr[i]);
	free(c->wr);
	free(c->stack);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

enum gd_err census_run(struct procmem *m, struct census_facts *f, int64_t now, struct strbuf *out,
		       struct census_stats *st, struct gd_errbuf *eb)
{
	double t0 = now_ms();
	memset(st, 0, sizeof(*st));
	snprintf(st->goversion, sizeof(st->goversion), "%s", f->goversion);
	if (!f->off_source[0]) {
		struct g_offsets o;
		enum gd_err e = census_offsets_for_version(f->gominor, &o, eb);
		if (e)
			return e;
	}
	struct ctx c = { .m = m, .f = f, .minor = f->gominor, .now = now };
	c.fid_wrapper = c.minor >= 22 ? 22 : 21;
	enum gd_err ret = GD_OK;
	char how_pcl[64] = "pclntab from .gopclntab", how_md[64] = "moduledata from .symtab",
	     how_allg[64] = "allgs from .symtab";
	for (int i = 0; i < f->nsegs; i++)
		if (!f->segs[i].writable)
			procmem_add_immutable(m, f->segs[i].lo, f->segs[i].hi);
	if (!f->pclntab) {
		for (int i = 0; i < f->nsegs && !f->pclntab; i++)
			if (!f->segs[i].exec)
				f->pclntab = scan_for_word(&c, f->segs[i].lo, f->segs[i].hi, 0,
							   check_pclntab, 8);
		if (!f->pclntab) {
			ret = gd_fail(eb, GD_EFORMAT, "no Go pclntab found (not a Go program, or damaged)");
			goto out;
		}
		snprintf(how_pcl, sizeof(how_pcl), "pclntab found by its magic");
	}
	/* the pclntab of an external-linked PIE sits in a RELRO (writable)
	 * segment: its bytes still never change after start */
	for (int i = 0; i < f->nsegs; i++)
		if (f->pclntab >= f->segs[i].lo && f->pclntab < f->segs[i].hi)
			procmem_add_immutable(m, f->pclntab, f->segs[i].hi);
	if ((ret = pclntab_init(&c.t, pcl_read, m, f->pclntab, 0, 0, eb)))
		goto out;
	if (!f->moduledata || read_moduledata(&c, f->moduledata)) {
		f->moduledata = 0;
		for (int i = 0; i < f->nsegs && !f->moduledata; i++)
			if (f->segs[i].writable)
				f->moduledata = scan_for_word(&c, f->segs[i].lo, f->segs[i].hi,
							      f->pclntab, check_md, 8);
		if (!f->moduledata) {
			ret = gd_fail(eb, GD_EFORMAT, "runtime.firstmoduledata not found");
			goto out;
		}
		snprintf(how_md, sizeof(how_md), "moduledata found by a pointer scan");
		read_moduledata(&c, f->moduledata);
	}
	c.t.gofunc = c.gofunc;
	if (!f->allgs && !f->allglen) {
		if (find_allgs_by_code(&c, how_allg, sizeof(how_allg))) {
			ret = gd_fail(eb, GD_EFORMAT, "runtime.allgs not found (no symbols, and "
				      "runtime.allgadd could not be decoded)");
			goto out;
		}
	}
	load_waitreasons(&c);
	snprintf(st->how, sizeof(st->how), "%s, %s, %s, g offsets from %s", how_pcl, how_md,
		 how_allg, f->off_source[0] ? f->off_source : "table");

	/* allgs, consistently: len, then ptr, then the array, then ptr again */
	uint64_t *gs = NULL, len = 0, ptr = 0;
	int stable = 0;
	for (int attempt = 0; attempt < 8 && !stable; attempt++) {
		uint64_t p2 = 0;
		enum gd_err e;
		if (f->allglen && f->allgptr) {
			e = procmem_read(m, f->allglen, &len, 8);
			if (!e)
				e = procmem_read(m, f->allgptr, &ptr, 8);
		} else {
			unsigned char s[16];
			e = procmem_read(m, f->allgs, s, 16);
			ptr = le64(s);
			len = le64(s + 8);
		}
		if (e == GD_ENOENT || e == GD_EPERM) {
			ret = gd_fail(eb, e, e == GD_ENOENT ? "the process exited during the census"
							    : "memory read refused");
			goto out;
		}
		if (e || !ptr || len == 0 || len > CENSUS_MAX_GS)
			continue;
		free(gs);
		gs = xmalloc(len * 8);
		if (procmem_read(m, ptr, gs, len * 8))
			continue;
		if (f->allglen && f->allgptr)
			e = procmem_read(m, f->allgptr, &p2, 8);
		else
			e = procmem_read(m, f->allgs, &p2, 8);
		stable = !e && p2 == ptr;
	}
	if (!stable) {
		free(gs);
		ret = gd_fail(eb, GD_EFORMAT, "census failed validation: runtime.allgs could not "
			      "be read consistently (is this the runtime of %s?)", f->goversion);
		goto out;
	}
	st->allglen = len;
	size_t glen = g_read_len(f);
	unsigned char *gbuf = xmalloc(1024 * glen);
	struct procmem_iov iov[1024];
	struct strbuf one = STRBUF_INIT_MAX(64 << 20);
	int saw_main = 0;
	uint64_t bad_ptr = 0;
	for (uint64_t i = 0; i < len && !ret; i += 1024) {
		size_t k = (size_t)(len - i < 1024 ? len - i : 1024);
		for (size_t j = 0; j < k; j++) {
			iov[j].addr = gs[i + j];
			iov[j].buf = gbuf + j * glen;
			iov[j].len = glen;
			iov[j].ok = 0;
		}
		enum gd_err e = procmem_readv(m, iov, k);
		if (e) {
			ret = gd_fail(eb, e, e == GD_ENOENT ? "the process exited during the census"
							    : "memory read failed: %s", gd_strerror(e));
			break;
		}
		for (size_t j = 0; j < k; j++) {
			if (!iov[j].ok || (gs[i + j] & 7)) {
				bad_ptr++;
				continue;
			}
			strbuf_reset(&one);
			enum gres r = census_one(&c, gs[i + j], gbuf + j * glen, &one, st);
			if (r == G_GONE) {
				ret = gd_fail(eb, GD_ENOENT, "the process exited during the census");
				break;
			}
			if (r == G_UNREADABLE) {
				if (st->unreadable < CENSUS_SHOW_UNREADABLE) {
					uint64_t id = 0;
					memcpy(&id, gbuf + j * glen + f->off.goid, 8);
					st->unreadable_ids[st->unreadable] = id;
				}
				st->unreadable++;
				continue;
			}
			if (r == G_OK) {
				uint64_t id;
				memcpy(&id, gbuf + j * glen + f->off.goid, 8);
				saw_main |= id == 1;
				st->goroutines++;
				if (out && strbuf_add(out, one.buf, one.len)) {
					ret = gd_fail(eb, GD_ETOOBIG, "census output over %zu MiB",
						      out->max >> 20);
					break;
				}
			}
		}
	}
	strbuf_release(&one);
	free(gbuf);
	free(gs);
	if (!ret) {
		uint64_t live = st->goroutines + st->unreadable;
		if (!saw_main && st->unreadable == 0)
			ret = gd_fail(eb, GD_EFORMAT, "census failed validation: no main goroutine "
				      "(goroutine 1) among %" PRIu64 " read; wrong runtime layout?", live);
		else if (live == 0 || st->unreadable * 4 > live || bad_ptr * 4 > len)
			ret = gd_fail(eb, GD_EFORMAT, "census failed validation: %" PRIu64 " of %" PRIu64
				      " goroutines unreadable, %" PRIu64 " bad g pointers; refusing "
				      "to print", st->unreadable, live, bad_ptr);
	}
	if (ret && out)
		out->len = 0, out->buf[0] = 0;
out:
	/* a failure because the process went away says so */
	if (ret && ret != GD_ENOENT && !procmem_is_replay(m)) {
		int gone = procmem_target_gone(m);
		if (!gone) {
			struct timespec d = { 0, 50 * 1000 * 1000 }; /* an exit in progress */
			nanosleep(&d, NULL);
			gone = procmem_target_gone(m);
		}
		if (gone) {
			ret = gd_fail(eb, GD_ENOENT, "process %d exited during the census",
				      (int)procmem_pid(m));
			if (out)
				out->len = 0, out->buf[0] = 0;
		}
	}
	struct procmem_stats ps;
	procmem_stats(m, &ps);
	st->calls = ps.calls;
	st->bytes = ps.bytes;
	snprintf(st->method, sizeof(st->method), "%s", ps.method);
	st->wall_ms = now_ms() - t0;
	ctx_release(&c);
	return ret;
}

/* CLOCK_MONOTONIC as the target sees it: its time namespace's offset minus
 * ours (/proc/PID/timens_offsets, "monotonic SECS NSECS"). */
static int64_t target_monotonic(pid_t pid)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	int64_t off[2] = { 0, 0 };
	for (int w = 0; w < 2; w++) {
		char path[64], buf[512];
		if (w)
			snprintf(path, sizeof(path), "/proc/%d/timens_offsets", (int)pid);
		else
			snprintf(path, sizeof(path), "/proc/self/timens_offsets");
		FILE *fp = fopen(path, "re");
		if (!fp)
			continue;
		while (fgets(buf, sizeof(buf), fp)) {
			if (strncmp(buf, "monotonic", 9))
				continue;
			char *e;
			long long s = strtoll(buf + 9, &e, 10);
			long long ns = strtoll(e, NULL, 10);
			off[w] = s * 1000000000LL + ns;
		}
		fclose(fp);
	}
	return now + off[1] - off[0];
}

enum gd_err census_pid(pid_t pid, const char *record_path, struct strbuf *out,
		       struct census_stats *st, struct gd_errbuf *eb)
{
	memset(st, 0, sizeof(*st));
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	struct procmem *m;
	enum gd_err e = procmem_open_pid(&m, pid, eb);
	if (e)
		return e;
	struct census_facts f;
	if ((e = census_facts_read(&f, exe, pid, eb))) {
		procmem_free(m);
		return e;
	}
	if (record_path)
		procmem_record(m);
	int64_t now = target_monotonic(pid);
	e = census_run(m, &f, now, out, st, eb);
	if (record_path) {
		census_facts_save(&f, m);
		char b[32];
		snprintf(b, sizeof(b), "%" PRId64, now);
		procmem_set_fact(m, "monotonic_ns", b);
		struct gd_errbuf e2;
		enum gd_err se = procmem_save(m, record_path, &e2);
		if (se && !e)
			e = gd_fail(eb, se, "%s", e2.msg);
	}
	procmem_free(m);
	return e;
}

static enum gd_err replay_common(struct procmem *m, struct strbuf *out, struct census_stats *st,
				 struct gd_errbuf *eb)
{
	struct census_facts f;
	enum gd_err e = census_facts_load(&f, m, eb);
	if (e)
		return e;
	const char *ns = procmem_fact(m, "monotonic_ns");
	int64_t now = ns ? strtoll(ns, NULL, 10) : 0;
	return census_run(m, &f, now, out, st, eb);
}

enum gd_err census_replay(const char *path, struct strbuf *out, struct census_stats *st,
			  struct gd_errbuf *eb)
{
	memset(st, 0, sizeof(*st));
	struct procmem *m;
	enum gd_err e = procmem_open_replay(&m, path, eb);
	if (e)
		return e;
	e = replay_common(m, out, st, eb);
	procmem_free(m);
	return e;
}

enum gd_err census_replay_mem(const void *data, size_t len, struct strbuf *out,
			      struct census_stats *st, struct gd_errbuf *eb)
{
	memset(st, 0, sizeof(*st));
	struct procmem *m;
	enum gd_err e = procmem_open_replay_mem(&m, data, len, eb);
	if (e)
		return e;
	e = replay_common(m, out, st, eb);
	procmem_free(m);
	return e;
}

void census_describe(const struct census_stats *st, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "memory read with %s (%s): %" PRIu64 " goroutines (%" PRIu64
			 " running, %" PRIu64 " system hidden), %" PRIu64 " unreadable, %" PRIu64
			 " reads, %" PRIu64 " bytes, %.0f ms; %s",
			 st->method, st->goversion, st->goroutines, st->running, st->system,
			 st->unreadable, st->calls, st->bytes, st->wall_ms, st->how);
	for (uint64_t i = 0; i < st->unreadable && i < CENSUS_SHOW_UNREADABLE && n > 0 &&
			     (size_t)n < cap; i++)
		n += snprintf(buf + n, cap - (size_t)n, "%s%" PRIu64, i ? "," : "; unreadable: ",
			      st->unreadable_ids[i]);
}
