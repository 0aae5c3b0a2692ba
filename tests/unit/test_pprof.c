/* SPDX-License-Identifier: MIT */
/* Tests for src/pprof: capped gzip, the profile.proto decoder on real Go
 * profiles (tests/fixtures/pprof, written by tests/scenarios/profilegen)
 * and on hostile input, and the profile writer checked by decoding it back
 * and by `go tool pprof`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "pprof/gzip.h"
#include "pprof/pprof_write.h"
#include "pprof/profile.h"
#include "pprof/profile.pb-c.h"
#include "util/strbuf.h"
#include "test_lib.h"
#include "util/banned.h"

/* ---- gzip ---- */

static enum gd_err to_sb(const void *data, size_t n, void *ctx)
{
	return strbuf_add(ctx, data, n);
}

static void test_gzip_roundtrip_any_split(void **state)
{
	char text[5000];
	unsigned char *gz, *out;
	size_t gzlen, outlen;
	struct gd_errbuf eb;
	(void)state;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + (i * 7) % 26);
	assert_int_equal(gzip_buffer(text, sizeof(text), &gz, &gzlen, &eb), GD_OK);
	assert_true(gz_is_gzip(gz, gzlen));
	assert_true(gzlen < sizeof(text));
	assert_int_equal(gunzip_buffer(gz, gzlen, 0, &out, &outlen, &eb), GD_OK);
	assert_int_equal(outlen, sizeof(text));
	assert_memory_equal(out, text, sizeof(text));
	free(out);

	/* One byte at a time through the push API. */
	{
		struct gz_reader z;
		struct strbuf sb;
		gz_reader_init(&z, 0);
		strbuf_init(&sb, STRBUF_UNLIMITED);
		for (size_t i = 0; i < gzlen; i++)
			assert_int_equal(gz_reader_feed(&z, gz + i, 1, to_sb, &sb, &eb), GD_OK);
		assert_int_equal(gz_reader_finish(&z, &eb), GD_OK);
		assert_int_equal(sb.len, sizeof(text));
		assert_memory_equal(sb.buf, text, sizeof(text));
		gz_reader_release(&z);
		strbuf_release(&sb);
	}
	free(gz);
}

static void test_gzip_truncated_corrupt_empty(void **state)
{
	char text[20000];
	unsigned char *gz, *out;
	size_t gzlen, outlen;
	struct gd_errbuf eb;
	(void)state;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)(rand() & 0xff);
	assert_int_equal(gzip_buffer(text, sizeof(text), &gz, &gzlen, &eb), GD_OK);

	for (size_t cut = 1; cut < gzlen; cut += gzlen / 7) {
		assert_int_equal(gunzip_buffer(gz, cut, 0, &out, &outlen, &eb), GD_ETRUNCATED);
		assert_null(out);
	}
	assert_int_equal(gunzip_buffer(gz, gzlen - 1, 0, &out, &outlen, &eb), GD_ETRUNCATED);
	assert_non_null(strstr(eb.msg, "ends early"));

	/* A flipped byte in the body: bad deflate data or a CRC mismatch. */
	gz[gzlen / 2] ^= 0x55;
	assert_int_equal(gunzip_buffer(gz, gzlen, 0, &out, &outlen, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "corrupt"));
	gz[gzlen / 2] ^= 0x55;
	/* Bad CRC in the trailer. */
	gz[gzlen - 6] ^= 1;
	assert_int_equal(gunzip_buffer(gz, gzlen, 0, &out, &outlen, &eb), GD_EFORMAT);
	gz[gzlen - 6] ^= 1;

	assert_int_equal(gunzip_buffer(gz, 0, 0, &out, &outlen, &eb), GD_ETRUNCATED);
	assert_int_equal(gunzip_buffer("hello world", 11, 0, &out, &outlen, &eb), GD_EFORMAT);
	free(gz);
}

static void test_gzip_members_zlib_trailing(void **state)
{
	unsigned char *a, *b, *both, *out;
	size_t alen, blen, outlen;
	unsigned char zbuf[128];
	uLongf zlen = sizeof(zbuf);
	struct gd_errbuf eb;
	(void)state;

	assert_int_equal(gzip_buffer("first,", 6, &a, &alen, &eb), GD_OK);
	assert_int_equal(gzip_buffer("second", 6, &b, &blen, &eb), GD_OK);
	both = malloc(alen + blen + 4);
	memcpy(both, a, alen);
	memcpy(both + alen, b, blen);
	assert_int_equal(gunzip_buffer(both, alen + blen, 0, &out, &outlen, &eb), GD_OK);
	assert_int_equal(outlen, 12);
	assert_memory_equal(out, "first,second", 12);
	free(out);
	/* Garbage after a complete member is not silently accepted. */
	memcpy(both + alen, "junk", 4);
	assert_int_equal(gunzip_buffer(both, alen + 4, 0, &out, &outlen, &eb), GD_EFORMAT);

	/* zlib framing is detected too. */
	assert_int_equal(compress(zbuf, &zlen, (const Bytef *)"zlib data", 9), Z_OK);
	assert_int_equal(gunzip_buffer(zbuf, zlen, 0, &out, &outlen, &eb), GD_OK);
	assert_int_equal(outlen, 9);
	assert_memory_equal(out, "zlib data", 9);
	free(out);
	free(a);
	free(b);
	free(both);
}

/* 1 GiB of zeros deflates to about 1 MiB: the classic bomb. */
static unsigned char *make_bomb(size_t *len)
{
	static unsigned char zeros[1 << 20];
	size_t cap = 4 << 20;
	unsigned char *out = malloc(cap);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	for (int i = 0; i < 1024; i++) {
		zs.next_in = zeros;
		zs.avail_in = sizeof(zeros);
		assert_int_equal(deflate(&zs, i == 1023 ? Z_FINISH : Z_NO_FLUSH),
				 i == 1023 ? Z_STREAM_END : Z_OK);
		assert_int_equal(zs.avail_in, 0);
	}
	*len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

struct counter {
	uint64_t bytes;
};

static enum gd_err count_out(const void *data, size_t n, void *ctx)
{
	(void)data;
	((struct counter *)ctx)->bytes += n;
	return GD_OK;
}

static void test_gzip_bomb(void **state)
{
	size_t len;
	unsigned char *bomb = make_bomb(&len), *out;
	size_t outlen;
	struct gz_reader z;
	struct counter c = { 0 };
	struct gd_errbuf eb;
	(void)state;

	assert_true(len < 2 << 20);
	/* Push API: the callback never sees more than the cap. */
	gz_reader_init(&z, 0);
	assert_int_equal(gz_reader_feed(&z, bomb, len, count_out, &c, &eb), GD_ETOOBIG);
	assert_string_equal(eb.msg, "decompressed size exceeds 256 MiB");
	assert_true(c.bytes <= (256u << 20));
	assert_true(c.bytes > (250u << 20));
	/* Sticky. */
	assert_int_equal(gz_reader_finish(&z, &eb), GD_ETOOBIG);
	gz_reader_release(&z);

	/* A small cap stops it early. */
	assert_int_equal(gunzip_buffer(bomb, len, 1 << 20, &out, &outlen, &eb), GD_ETOOBIG);
	assert_string_equal(eb.msg, "decompressed size exceeds 1 MiB");
	assert_null(out);
	/* The same profile bytes through the profile decoder. */
	{
		struct profile p;
		assert_int_equal(profile_decode(&p, bomb, len, NULL, &eb), GD_ETOOBIG);
		assert_string_equal(eb.msg, "decompressed size exceeds 256 MiB");
		profile_release(&p);
	}
	free(bomb);
}

/* ---- profile decoding on real Go output ---- */

struct rec {
	uint64_t count;
	char labels[128];
	char frames[16][96];
	uint32_t flags[16];
	uint32_t lines[16];
	uint32_t nframes;
};

struct recs {
	struct rec r[16];
	size_t n;
	uint64_t total;
};

static int collect(const struct gd_record *r, void *ctx)
{
	struct recs *rs = ctx;
	struct rec *o;
	if (rs->n == 16)
		return 1;
	o = &rs->r[rs->n++];
	memset(o, 0, sizeof(*o));
	o->count = r->count;
	rs->total += r->count;
	snprintf(o->labels, sizeof(o->labels), "%.*s", (int)r->labels_len, r->labels);
	o->nframes = r->nframes;
	for (uint32_t i = 0; i < r->nframes && i < 16; i++) {
		snprintf(o->frames[i], sizeof(o->frames[i]), "%.*s", (int)r->frames[i].func_len,
			 r->frames[i].func);
		o->flags[i] = r->frames[i].flags;
		o->lines[i] = r->frames[i].line;
		assert_int_equal(r->frames[i].args_len, 0);
		assert_true(r->frames[i].file_len == 0 ||
			    r->frames[i].file[r->frames[i].file_len - 1] == 'o' ||
			    r->frames[i].file[r->frames[i].file_len - 1] == 's');
	}
	return 0;
}

static int stop_at_first(const struct gd_record *r, void *ctx)
{
	(void)r;
	(void)ctx;
	return 42;
}

static const struct rec *find_rec(const struct recs *rs, uint64_t count)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->r[i].count == count)
			return &rs->r[i];
	fail_msg("no record with count %llu", (unsigned long long)count);
	return NULL;
}

static void check_goroutine_fixture(const char *rel)
{
	size_t len;
	unsigned char *buf = (unsigned char *)slurp(rel, &len);
	struct profile p;
	struct recs rs;
	struct gd_errbuf eb;
	const struct rec *r;

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(profile_decode(&p, buf, len, NULL, &eb), GD_OK);
	assert_true(profile_is_goroutine(&p));
	assert_int_equal(p.nsample_types, 1);
	assert_string_equal(p.sample_types[0].type, "goroutine");
	assert_string_equal(p.sample_types[0].unit, "count");
	assert_string_equal(p.period_type.type, "goroutine");
	assert_int_equal(p.period, 1);
	assert_true(p.time_nanos > 1600000000LL * 1000000000LL);
	assert_int_equal(p.nsamples, 4);
	assert_int_equal(profile_goroutine_total(&p), 126);
	assert_int_equal(profile_goroutine_records(&p, collect, &rs), 0);
	assert_int_equal(rs.n, 4);
	assert_int_equal(rs.total, 126);

	r = find_rec(&rs, 100);
	assert_int_equal(r->nframes, 4);
	assert_string_equal(r->frames[0], "runtime.gopark");
	assert_string_equal(r->frames[1], "runtime.chanrecv");
	assert_string_equal(r->frames[2], "runtime.chanrecv1");
	assert_string_equal(r->frames[3], "main.blockedRecv");
	assert_int_equal(r->lines[3], 41);
	assert_string_equal(r->labels, "");

	r = find_rec(&rs, 20);
	assert_string_equal(r->frames[0], "runtime.gopark");
	assert_string_equal(r->frames[1], "runtime.selectgo");
	assert_string_equal(r->frames[2], "main.selectWaiter");
	assert_int_equal(r->lines[2], 47);

	r = find_rec(&rs, 5);
	assert_string_equal(r->labels, "{\"tenant\":\"t\\\"1\", \"worker\":\"labeled\"}");
	/* recvInline is inlined into labeledWorker.func1: one location, two
	 * lines, expanded innermost first. */
	assert_int_equal(r->nframes, 7);
	assert_string_equal(r->frames[3], "main.recvInline");
	assert_int_equal(r->flags[3], GD_FRAME_INLINED);
	assert_int_equal(r->lines[3], 55);
	assert_string_equal(r->frames[4], "main.labeledWorker.func1");
	assert_int_equal(r->flags[4], 0);
	assert_int_equal(r->lines[4], 63);
	assert_string_equal(r->frames[5], "runtime/pprof.Do");
	assert_string_equal(r->frames[6], "main.labeledWorker");

	r = find_rec(&rs, 1);
	assert_string_equal(r->frames[r->nframes - 1], "runtime.main");

	/* The callback's nonzero return stops the walk and comes back. */
	assert_int_equal(profile_goroutine_records(&p, stop_at_first, &rs), 42);
	profile_release(&p);
	free(buf);
}

static void test_goroutine_profile_go119(void **state)
{
	(void)state;
	check_goroutine_fixture("tests/fixtures/pprof/goroutine-go1.19.pb.gz");
}

static void test_goroutine_profile_go123(void **state)
{
	(void)state;
	check_goroutine_fixture("tests/fixtures/pprof/goroutine-go1.23.pb.gz");
}

static void check_heap_fixture(const char *rel)
{
	size_t len;
	unsigned char *buf = (unsigned char *)slurp(rel, &len);
	struct profile p;
	struct gd_errbuf eb;
	int ao, as, io, is;
	int found = 0;

	assert_int_equal(profile_decode(&p, buf, len, NULL, &eb), GD_OK);
	assert_false(profile_is_goroutine(&p));
	assert_int_equal(p.nsample_types, 4);
	ao = profile_sample_type_index(&p, "alloc_objects");
	as = profile_sample_type_index(&p, "alloc_space");
	io = profile_sample_type_index(&p, "inuse_objects");
	is = profile_sample_type_index(&p, "inuse_space");
	assert_int_equal(ao, 0);
	assert_int_equal(as, 1);
	assert_int_equal(io, 2);
	assert_int_equal(is, 3);
	assert_string_equal(p.sample_types[is].unit, "bytes");
	assert_string_equal(p.sample_types[io].unit, "count");
	assert_string_equal(p.period_type.type, "space");
	for (size_t i = 0; i < p.nsamples; i++) {
		const struct profile_sample *s = &p.samples[i];
		const struct profile_location *leaf;
		if (!s->nlocs)
			continue;
		leaf = s->locs[0];
		if (!leaf->nlines || strcmp(leaf->lines[0].function->name, "main.allocKeep"))
			continue;
		if (s->values[is] == 4096000) {
			assert_int_equal(s->values[io], 1000);
			assert_int_equal(s->values[ao], 1000);
			assert_int_equal(s->values[as], 4096000);
			assert_int_equal(leaf->lines[0].line, 70);
			found++;
		}
	}
	assert_int_equal(found, 1);
	profile_release(&p);
	free(buf);
}

static void test_heap_profile_go119(void **state)
{
	(void)state;
	check_heap_fixture("tests/fixtures/pprof/heap-go1.19.pb.gz");
}

static void test_heap_profile_go123(void **state)
{
	(void)state;
	check_heap_fixture("tests/fixtures/pprof/heap-go1.23.pb.gz");
}

/* ---- hostile profiles ---- */

/* A minimal valid goroutine profile built with protobuf-c; tests break one
 * field at a time. */
struct mini {
	Perftools__Profiles__Profile prof;
	Perftools__Profiles__ValueType vt, *vtp;
	Perftools__Profiles__Sample s, *sp;
	Perftools__Profiles__Label lab, *labp;
	Perftools__Profiles__Location loc[2], *locp[2];
	Perftools__Profiles__Line line[2], *linep[2];
	Perftools__Profiles__Function fn, *fnp;
	uint64_t locids[2];
	int64_t value;
	char *strs[6];
};

static void mini_init(struct mini *m)
{
	static char s0[] = "", s1[] = "goroutine", s2[] = "count", s3[] = "main.f", s4[] = "f.go",
		    s5[] = "k";
	memset(m, 0, sizeof(*m));
	perftools__profiles__profile__init(&m->prof);
	perftools__profiles__value_type__init(&m->vt);
	perftools__profiles__sample__init(&m->s);
	perftools__profiles__label__init(&m->lab);
	perftools__profiles__function__init(&m->fn);
	m->strs[0] = s0; m->strs[1] = s1; m->strs[2] = s2;
	m->strs[3] = s3; m->strs[4] = s4; m->strs[5] = s5;
	m->prof.n_string_table = 6;
	m->prof.string_table = m->strs;
	m->vt.type = 1;
	m->vt.unit = 2;
	m->vtp = &m->vt;
	m->prof.n_sample_type = 1;
	m->prof.sample_type = &m->vtp;
	m->fn.id = 1;
	m->fn.name = 3;
	m->fn.filename = 4;
	m->fnp = &m->fn;
	m->prof.n_function = 1;
	m->prof.function = &m->fnp;
	for (int i = 0; i < 2; i++) {
		perftools__profiles__location__init(&m->loc[i]);
		perftools__profiles__line__init(&m->line[i]);
		m->line[i].function_id = 1;
		m->line[i].line = 10 + i;
		m->linep[i] = &m->line[i];
		m->loc[i].id = (uint64_t)(i + 1);
		m->loc[i].address = 0x1000 + (uint64_t)i;
		m->loc[i].n_line = 1;
		m->loc[i].line = &m->linep[i];
		m->locp[i] = &m->loc[i];
		m->locids[i] = (uint64_t)(i + 1);
	}
	m->prof.n_location = 2;
	m->prof.location = m->locp;
	m->value = 7;
	m->s.n_value = 1;
	m->s.value = &m->value;
	m->s.n_location_id = 2;
	m->s.location_id = m->locids;
	m->lab.key = 5;
	m->lab.str = 3;
	m->labp = &m->lab;
	m->s.n_label = 1;
	m->s.label = &m->labp;
	m->sp = &m->s;
	m->prof.n_sample = 1;
	m->prof.sample = &m->sp;
}

static enum gd_err mini_decode(struct mini *m, struct profile *p, struct gd_errbuf *eb)
{
	size_t n = perftools__profiles__profile__get_packed_size(&m->prof);
	uint8_t *buf = malloc(n + 1);
	enum gd_err e;
	perftools__profiles__profile__pack(&m->prof, buf);
	e = profile_decode(p, buf, n, NULL, eb);
	free(buf);
	return e;
}

static void test_profile_validation(void **state)
{
	struct mini m;
	struct profile p;
	struct gd_errbuf eb;
	struct recs rs;
	(void)state;

	mini_init(&m);
	assert_int_equal(mini_decode(&m, &p, &eb), GD_OK);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(profile_goroutine_records(&p, collect, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.r[0].count, 7);
	assert_string_equal(rs.r[0].labels, "{\"k\":\"main.f\"}");
	assert_int_equal(rs.r[0].lines[0], 10);
	assert_int_equal(rs.r[0].lines[1], 11);
	profile_release(&p);

	/* Non-dense ids resolve through the sorted index. */
	mini_init(&m);
	m.loc[0].id = 900;
	m.loc[1].id = 5;
	m.locids[0] = 5;
	m.locids[1] = 900;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_OK);
	assert_int_equal(p.samples[0].locs[0]->address, 0x1001);
	assert_int_equal(p.samples[0].locs[1]->address, 0x1000);
	profile_release(&p);

	mini_init(&m);
	m.loc[1].id = 1;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "duplicate location id 1"));
	profile_release(&p);

	mini_init(&m);
	m.fn.name = 6;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "string index 6 out of range"));
	profile_release(&p);

	mini_init(&m);
	m.lab.key = -1;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	profile_release(&p);

	mini_init(&m);
	m.vt.unit = 1000;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	profile_release(&p);

	mini_init(&m);
	m.locids[1] = 3;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "location id 3 not found"));
	profile_release(&p);

	mini_init(&m);
	m.line[0].function_id = 2;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "function id 2 not found"));
	profile_release(&p);

	mini_init(&m);
	m.loc[0].mapping_id = 4;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "mapping id 4 not found"));
	profile_release(&p);

	mini_init(&m);
	m.s.n_value = 0;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "0 values for 1 sample types"));
	profile_release(&p);

	mini_init(&m);
	m.strs[0] = m.strs[1];
	assert_int_equal(mini_decode(&m, &p, &eb), GD_EFORMAT);
	profile_release(&p);

	/* A location without lines becomes its address; negative counts are
	 * skipped. */
	mini_init(&m);
	m.loc[1].n_line = 0;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_OK);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(profile_goroutine_records(&p, collect, &rs), 0);
	assert_string_equal(rs.r[0].frames[1], "0x1001");
	assert_int_equal(rs.r[0].flags[1], GD_FRAME_NOFILE);
	profile_release(&p);
	m.value = -3;
	assert_int_equal(mini_decode(&m, &p, &eb), GD_OK);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(profile_goroutine_records(&p, collect, &rs), 0);
	assert_int_equal(rs.n, 0);
	profile_release(&p);

	/* Not protobuf at all. */
	assert_int_equal(profile_decode(&p, "goroutine profile: total 1\n", 27, NULL, &eb), GD_EFORMAT);
	profile_release(&p);
	assert_int_equal(profile_decode(&p, "", 0, NULL, &eb), GD_EFORMAT);
	profile_release(&p);
}

static void test_profile_quoting(void **state)
{
	struct mini m;
	struct profile p;
	struct gd_errbuf eb;
	struct recs rs;
	static char key[] = "b\n\x01", val[] = "\xc3\xa9\xff\\";
	(void)state;

	mini_init(&m);
	m.strs[5] = key;
	m.strs[3] = val; /* also the function name: fine */
	assert_int_equal(mini_decode(&m, &p, &eb), GD_OK);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(profile_goroutine_records(&p, collect, &rs), 0);
	assert_string_equal(rs.r[0].labels, "{\"b\\n\\x01\":\"\xc3\xa9\\xff\\\\\"}");
	profile_release(&p);
}

static void test_profile_memory_cap(void **state)
{
	/* 2M empty Samples: 4 MB on the wire, >100 MB decoded. */
	size_t n = 2u << 20, len = 2 + 2 * n;
	unsigned char *buf = malloc(len);
	struct profile p;
	struct profile_limits lim = { 0, 32u << 20 };
	struct gd_errbuf eb;
	(void)state;

	buf[0] = 0x32; /* string_table, "" */
	buf[1] = 0x00;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = 0x12; /* sample, length 0 */
		buf[3 + 2 * i] = 0x00;
	}
	assert_int_equal(profile_decode(&p, buf, len, &lim, &eb), GD_ETOOBIG);
	assert_string_equal(eb.msg, "profile needs more than 32 MiB of memory to decode");
	profile_release(&p);
	lim.max_decompressed = 1u << 20;
	assert_int_equal(profile_decode(&p, buf, len, &lim, &eb), GD_ETOOBIG);
	assert_string_equal(eb.msg, "profile size exceeds 1 MiB");
	profile_release(&p);
	free(buf);
}

static void test_profile_truncated_gzip(void **state)
{
	size_t len;
	unsigned char *buf = (unsigned char *)slurp("tests/fixtures/pprof/goroutine-go1.19.pb.gz", &len);
	struct profile p;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(profile_decode(&p, buf, len - 10, NULL, &eb), GD_ETRUNCATED);
	profile_release(&p);
	free(buf);
}

/* ---- writer ---- */

static struct gd_frame mkframe(const char *func, const char *file, uint32_t line)
{
	struct gd_frame f;
	memset(&f, 0, sizeof(f));
	f.func = func;
	f.func_len = (uint32_t)strlen(func);
	f.file = file;
	f.file_len = (uint32_t)strlen(file);
	f.args = "";
	f.line = line;
	return f;
}

static void build_sample_profile(struct pprof_builder *b)
{
	static const struct pprof_sample_type types[] = {
		{ "goroutine", "count" }, { "wait", "minutes" },
	};
	struct gd_frame a[3], c[2];
	int64_t v1[2] = { 3000, 600 }, v2[2] = { 12, 0 };

	pprof_builder_init(b, types, 2);
	b->time_nanos = 1700000000LL * 1000000000LL;
	a[0] = mkframe("internal/poll.(*FD).Read", "/usr/lib/go/src/internal/poll/fd_unix.go", 167);
	a[1] = mkframe("net/http.(*conn).serve", "/usr/lib/go/src/net/http/server.go", 1991);
	a[2] = mkframe("main.main", "/app/main.go", 10);
	c[0] = mkframe("main.worker", "/app/main.go", 33);
	c[1] = mkframe("main.main", "/app/main.go", 10);
	assert_int_equal(pprof_builder_add(b, a, 3, v1, "state", "IO wait"), GD_OK);
	assert_int_equal(pprof_builder_add(b, c, 2, v2, NULL, NULL), GD_OK);
	assert_int_equal(pprof_builder_add(b, c, 0, v2, NULL, NULL), GD_EARG);
}

static void test_writer_roundtrip(void **state)
{
	struct pprof_builder b;
	unsigned char *buf;
	size_t len;
	struct profile p;
	struct gd_errbuf eb;
	struct recs rs;
	(void)state;

	build_sample_profile(&b);
	assert_int_equal(pprof_builder_encode(&b, &buf, &len, &eb), GD_OK);
	assert_true(gz_is_gzip(buf, len));
	assert_int_equal(profile_decode(&p, buf, len, NULL, &eb), GD_OK);
	assert_int_equal(p.nsample_types, 2);
	assert_string_equal(p.sample_types[1].type, "wait");
	assert_string_equal(p.sample_types[1].unit, "minutes");
	assert_string_equal(p.period_type.type, "goroutine");
	assert_int_equal(p.time_nanos, 1700000000LL * 1000000000LL);
	/* main.main:10 is shared: 4 locations, 4 functions. */
	assert_int_equal(p.nlocations, 4);
	assert_int_equal(p.nfunctions, 4);
	assert_int_equal(p.nsamples, 2);
	assert_int_equal(p.samples[0].values[1], 600);
	assert_ptr_equal(p.samples[0].locs[2], p.samples[1].locs[1]);
	assert_true(profile_is_goroutine(&p));
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(profile_goroutine_records(&p, collect, &rs), 0);
	assert_int_equal(rs.total, 3012);
	assert_string_equal(rs.r[0].labels, "{\"state\":\"IO wait\"}");
	assert_string_equal(rs.r[0].frames[1], "net/http.(*conn).serve");
	assert_int_equal(rs.r[0].lines[1], 1991);
	profile_release(&p);
	free(buf);
	pprof_builder_release(&b);
}

static char *run_capture(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	struct strbuf sb;
	char chunk[4096];
	size_t n;
	assert_non_null(f);
	strbuf_init(&sb, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&sb, chunk, n);
	assert_int_equal(pclose(f), 0);
	return strbuf_detach(&sb, NULL);
}

/* The real consumer: `go tool pprof` must open what we write. */
static void test_writer_go_tool_pprof(void **state)
{
	struct pprof_builder b;
	struct gd_errbuf eb;
	char path[] = "/tmp/godiag-pprof-XXXXXX";
	char cmd[512];
	char *out;
	FILE *f;
	int fd;
	(void)state;

	if (system("command -v go >/dev/null 2>&1") != 0)
		fail_msg("go is not installed (needed to check pprof output)");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	build_sample_profile(&b);
	assert_int_equal(pprof_builder_write(&b, f, &eb), GD_OK);
	fclose(f);
	pprof_builder_release(&b);

	snprintf(cmd, sizeof(cmd),
		 "HOME=/tmp GOCACHE=/tmp/godiag-gocache go tool pprof -top -nodefraction=0 -sample_index=goroutine %s 2>&1",
		 path);
	out = run_capture(cmd);
	assert_non_null(strstr(out, "Type: goroutine"));
	assert_non_null(strstr(out, "3012 total"));
	assert_non_null(strstr(out, "3000 99.60%"));
	assert_non_null(strstr(out, "internal/poll.(*FD).Read"));
	assert_non_null(strstr(out, "main.worker"));
	free(out);

	snprintf(cmd, sizeof(cmd), "HOME=/tmp GOCACHE=/tmp/godiag-gocache go tool pprof -raw %s 2>&1",
		 path);
	out = run_capture(cmd);
	assert_non_null(strstr(out, "goroutine/count wait/minutes"));
	assert_non_null(strstr(out, "3000        600: 1 2 3"));
	assert_non_null(strstr(out, "state:[IO wait]"));
	assert_non_null(strstr(out, "net/http.(*conn).serve /usr/lib/go/src/net/http/server.go:1991"));
	free(out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_roundtrip_any_split),
		cmocka_unit_test(test_gzip_truncated_corrupt_empty),
		cmocka_unit_test(test_gzip_members_zlib_trailing),
		cmocka_unit_test(test_gzip_bomb),
		cmocka_unit_test(test_goroutine_profile_go119),
		cmocka_unit_test(test_goroutine_profile_go123),
		cmocka_unit_test(test_heap_profile_go119),
		cmocka_unit_test(test_heap_profile_go123),
		cmocka_unit_test(test_profile_validation),
		cmocka_unit_test(test_profile_quoting),
		cmocka_unit_test(test_profile_memory_cap),
		cmocka_unit_test(test_profile_truncated_gzip),
		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_writer_go_tool_pprof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
