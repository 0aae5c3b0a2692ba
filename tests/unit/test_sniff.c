/* SPDX-License-Identifier: MIT */
/* Tests for diagnose/sniff: every evidence kind recognised from real files
 * (the repo's fixtures from real Go programs and ss, and this test
 * process's own /proc files), unrelated files (/etc, /proc/meminfo, ELF
 * binaries, empty and random bytes) never recognised, and files made of two
 * formats flagged as mixed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diagnose/sniff.h"
#include "pprof/gzip.h"
#include "test_lib.h"
#include "util/banned.h"

static void expect(const char *rel, enum evidence_kind want, bool mixed)
{
	size_t len;
	char *buf = rel[0] == '/' ? slurp_path(rel, &len) : slurp(rel, &len);
	struct evidence_sniff_info info;
	enum evidence_kind k;

	if (!buf)
		return; /* an optional system file that this host lacks */
	k = evidence_sniff_ex(rel, (const unsigned char *)buf, len, &info);
	if (k != want || info.mixed != mixed)
		fail_msg("%s: got %s%s, want %s%s (votes %u of %u lines)", rel, evidence_kind_name(k),
			 info.mixed ? " (mixed)" : "", evidence_kind_name(want), mixed ? " (mixed)" : "",
			 info.votes, info.lines);
	free(buf);
}

static void test_goroutines(void **state)
{
	(void)state;
	expect("tests/fixtures/debug1/profilegen-go1.19-debug2.txt", EV_GOROUTINE_DEBUG2, false);
	expect("tests/fixtures/debug1/profilegen-go1.23-debug2.txt", EV_GOROUTINE_DEBUG2, false);
	expect("tests/fixtures/dumps/go119_sigquit.txt", EV_GOROUTINE_DEBUG2, false);
	expect("tests/fixtures/dumps/go126_leaked.txt", EV_GOROUTINE_DEBUG2, false);
	expect("tests/fixtures/dumps/go117_crlf.txt", EV_GOROUTINE_DEBUG2, false);
	expect("tests/fixtures/debug1/profilegen-go1.19.txt", EV_GOROUTINE_DEBUG1, false);
	expect("tests/fixtures/debug1/profilegen-go1.23.txt", EV_GOROUTINE_DEBUG1, false);
	expect("tests/fixtures/dumps/go126_goroutineleak_debug1.txt", EV_GOROUTINELEAK_DEBUG1, false);
	expect("tests/fixtures/pprof/goroutine-go1.19.pb.gz", EV_GOROUTINE_PROTO, false);
	expect("tests/fixtures/pprof/goroutine-go1.23.pb.gz", EV_GOROUTINE_PROTO, false);
}

static void test_heap(void **state)
{
	(void)state;
	expect("tests/fixtures/heap/heap1-go1.19.txt", EV_HEAP_TEXT, false);
	expect("tests/fixtures/heap/heap2-go1.23.txt", EV_HEAP_TEXT, false);
	expect("tests/fixtures/debug1/heap-go1.19.txt", EV_HEAP_TEXT, false);
	expect("tests/fixtures/proc/heap-debug1-go1.19.txt", EV_HEAP_TEXT, false);
	expect("tests/fixtures/heap/heap1-go1.19.pb.gz", EV_HEAP_PROTO, false);
	expect("tests/fixtures/pprof/heap-go1.23.pb.gz", EV_HEAP_PROTO, false);
}

static void test_proc_and_net(void **state)
{
	(void)state;
	expect("tests/fixtures/proc/host1/proc/123/status", EV_PROC_STATUS, false);
	expect("tests/fixtures/proc/host1/proc/123/smaps_rollup", EV_SMAPS_ROLLUP, false);
	expect("/proc/self/status", EV_PROC_STATUS, false);
	expect("/proc/self/smaps_rollup", EV_SMAPS_ROLLUP, false);
	expect("/proc/self/smaps", EV_SMAPS, false);
	expect("/proc/net/sockstat", EV_SOCKSTAT, false);
	expect("/proc/net/sockstat6", EV_SOCKSTAT, false);
	expect("tests/fixtures/ss/ss-tinp.txt", EV_SS_TEXT, false);
	expect("tests/fixtures/ss/ss-tin.txt", EV_SS_TEXT, false);
	expect("tests/fixtures/ss/ss-tanp.txt", EV_SS_TEXT, false);
	expect("tests/fixtures/ss/ss-tinpe.txt", EV_SS_TEXT, false);
}

static void test_http_evidence(void **state)
{
	static const char manifest[] = "{\"godiag_bundle\": 1, \"target\": \"1234\", \"files\": []}";
	(void)state;
	expect("tests/fixtures/expvar/vars-go1.19.json", EV_EXPVAR, false);
	expect("tests/fixtures/expvar/vars-go1.23.json", EV_EXPVAR, false);
	expect("tests/fixtures/metrics/metrics-go1.19.txt", EV_METRICS, false);
	expect("tests/fixtures/metrics/metrics-go1.23.txt", EV_METRICS, false);
	assert_int_equal(evidence_sniff("manifest.json", (const unsigned char *)manifest, sizeof(manifest) - 1),
			 EV_BUNDLE_MANIFEST);
	/* The name never matters. */
	assert_int_equal(evidence_sniff("vars.json", (const unsigned char *)"{\"a\": 1}", 8), EV_UNKNOWN);
}

static void test_gzip_text(void **state)
{
	size_t len, glen;
	char *buf = slurp("tests/fixtures/debug1/profilegen-go1.19-debug2.txt", &len);
	unsigned char *gz;
	struct gd_errbuf eb;
	struct evidence_sniff_info info;
	(void)state;
	assert_int_equal(gzip_buffer(buf, len, &gz, &glen, &eb), GD_OK);
	assert_int_equal(evidence_sniff_ex(NULL, gz, glen, &info), EV_GOROUTINE_DEBUG2);
	assert_true(info.gzipped);
	/* A cut gzip stream is not evidence. */
	assert_int_equal(evidence_sniff(NULL, gz, glen / 2), EV_UNKNOWN);
	free(gz);
	free(buf);
}

static void test_unrelated(void **state)
{
	static const char *const files[] = {
		"/etc/passwd", "/etc/hosts", "/etc/services", "/etc/group", "/etc/os-release",
		"/etc/fstab", "/etc/protocols", "/proc/meminfo", "/proc/cpuinfo", "/proc/self/maps",
		"/proc/self/stat", "/proc/self/environ", "/proc/self/exe", "/proc/net/tcp", "/usr/bin/ls",
		"/etc/ld.so.cache", "/proc/self/cmdline",
	};
	static const char *const texts[] = {
		"", "\n\n\n", "hello\n", "goroutine\n", "{}", "[1,2]", "{\"memstats\": 1}",
		"heap profile: junk\n",
		"Name:\tx\n",
		"foo 1\nbar 2\nbaz 3\n",
		"The goroutine 5 [running] was not found\n",
	};
	unsigned char rnd[4096];
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		expect(files[i], EV_UNKNOWN, false);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (evidence_sniff(NULL, (const unsigned char *)texts[i], strlen(texts[i])) != EV_UNKNOWN)
			fail_msg("text %zu recognised as %s", i,
				 evidence_kind_name(evidence_sniff(NULL, (const unsigned char *)texts[i],
								   strlen(texts[i]))));
	srand(7);
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)rand();
	rnd[0] = 0x0a; /* looks like a protobuf's first field */
	assert_int_equal(evidence_sniff(NULL, rnd, sizeof(rnd)), EV_UNKNOWN);
	assert_int_equal(evidence_sniff(NULL, NULL, 0), EV_UNKNOWN);
}

static char *concat(const char *a, const char *b, size_t *len)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb), *out = malloc(la + lb + 1);
	assert_non_null(out);
	memcpy(out, x, la);
	memcpy(out + la, y, lb);
	out[la + lb] = '\0';
	*len = la + lb;
	free(x);
	free(y);
	return out;
}

static void test_mixed(void **state)
{
	size_t len;
	char *buf;
	struct evidence_sniff_info info;
	(void)state;
	/* A status file with a dump pasted below it: the dump dominates. */
	buf = concat("tests/fixtures/proc/host1/proc/123/status", "tests/fixtures/dumps/go119_sigquit.txt", &len);
	assert_int_equal(evidence_sniff_ex(NULL, (unsigned char *)buf, len, &info), EV_GOROUTINE_DEBUG2);
	assert_true(info.mixed);
	assert_int_equal(info.other, EV_PROC_STATUS);
	free(buf);
	/* A heap text with ss output appended. */
	buf = concat("tests/fixtures/heap/heap1-go1.19.txt", "tests/fixtures/ss/ss-tinpa.txt", &len);
	assert_int_equal(evidence_sniff_ex(NULL, (unsigned char *)buf, len, &info), EV_HEAP_TEXT);
	assert_true(info.mixed);
	assert_int_equal(info.other, EV_SS_TEXT);
	free(buf);
	/* ss output then a heap profile: heap's parser needs its header first. */
	buf = concat("tests/fixtures/ss/ss-tin.txt", "tests/fixtures/heap/heap1-go1.19.txt", &len);
	assert_int_not_equal(evidence_sniff(NULL, (unsigned char *)buf, len), EV_HEAP_TEXT);
	free(buf);
	assert_string_equal(evidence_kind_name(EV_SMAPS_ROLLUP), "smaps-rollup");
	assert_string_equal(evidence_kind_name((enum evidence_kind)999), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goroutines),
		cmocka_unit_test(test_heap),
		cmocka_unit_test(test_proc_and_net),
		cmocka_unit_test(test_http_evidence),
		cmocka_unit_test(test_gzip_text),
		cmocka_unit_test(test_unrelated),
		cmocka_unit_test(test_mixed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
