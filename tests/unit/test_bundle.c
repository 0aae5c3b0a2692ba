/* SPDX-License-Identifier: MIT */
/* Tests for diagnose/bundle and diagnose/evidence_dir: a bundle refuses a
 * non-empty directory, a write that fails (a real EFBIG from RLIMIT_FSIZE)
 * is recorded as failed and never as saved, the manifest round-trips and
 * rejects names that leave the directory, and a bundle read back yields
 * exactly its manifest's files (others ignored, changed ones refused)
 * while a directory without a manifest is read by content. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "diagnose/bundle.h"
#include "diagnose/evidence_dir.h"
#include "util/banned.h"

static char tmp[256];

static void mktmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/godiag-test-bundle-XXXXXX");
	assert_non_null(mkdtemp(tmp));
}

static void rmtmp(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static const char dump[] = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n\n"
			   "goroutine 7 [chan receive, 3 minutes]:\nmain.worker()\n\t/src/main.go:20 +0x2a\n"
			   "created by main.main\n\t/src/main.go:12 +0x3b\n";
static const char status[] = "Name:\tsvc\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\n"
			     "VmRSS:\t  10240 kB\nRssAnon:\t   8192 kB\nThreads:\t8\n";

static void test_refuses_non_empty(void **state)
{
	struct bundle_writer w;
	struct gd_errbuf eb = { "" };
	char sub[512];
	(void)state;
	mktmp();
	put("goroutines-last-week.txt", dump);
	assert_int_equal(bundle_writer_open(&w, tmp, &eb), GD_EARG);
	assert_non_null(strstr(eb.msg, "not empty"));
	assert_non_null(strstr(eb.msg, "goroutines-last-week.txt"));
	bundle_writer_release(&w);
	/* A new directory is created; an empty one is taken. */
	snprintf(sub, sizeof(sub), "%s/new", tmp);
	assert_int_equal(bundle_writer_open(&w, sub, &eb), GD_OK);
	bundle_writer_release(&w);
	assert_int_equal(bundle_writer_open(&w, sub, &eb), GD_OK);
	bundle_writer_release(&w);
	/* A file is not a directory. */
	snprintf(sub, sizeof(sub), "%s/goroutines-last-week.txt", tmp);
	assert_int_equal(bundle_writer_open(&w, sub, &eb), GD_EARG);
	bundle_writer_release(&w);
	rmtmp();
}

static void test_failed_write_recorded(void **state)
{
	struct bundle_writer w;
	struct gd_errbuf eb = { "" };
	struct rlimit old, lim;
	struct bundle_manifest m;
	struct evidence_set set;
	char *big = calloc(1, 256 << 10);
	char path[512];
	struct stat st;
	(void)state;
	assert_non_null(big);
	mktmp();
	assert_int_equal(bundle_writer_open(&w, tmp, &eb), GD_OK);
	assert_int_equal(bundle_writer_save(&w, "goroutine-debug2.txt", EV_GOROUTINE_DEBUG2, dump, strlen(dump),
					    "http://x/debug/pprof/goroutine?debug=2", 100),
			 GD_OK);
	/* A real write error: the file size limit, as on a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 64 << 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_not_equal(bundle_writer_save(&w, "heap-debug1.txt", EV_HEAP_TEXT, big, 256 << 10, "http://x", 101),
			     GD_OK);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	free(big);
	assert_int_equal(w.nfiles, 2);
	assert_int_equal(w.nfailed, 1);
	assert_true(w.files[0].ok);
	assert_false(w.files[1].ok);
	assert_non_null(strstr(w.files[1].note, "not saved: File too large"));
	/* Nothing half-written is left behind. */
	snprintf(path, sizeof(path), "%s/heap-debug1.txt", tmp);
	assert_int_not_equal(stat(path, &st), 0);
	/* A second save of the same name is refused, not overwritten. */
	assert_int_equal(bundle_writer_save(&w, "goroutine-debug2.txt", EV_GOROUTINE_DEBUG2, "x", 1, NULL, 0), GD_EARG);
	assert_int_equal(bundle_writer_finish(&w, &(struct bundle_identity){ .time = 99, .pid = 4242 }, NULL, &eb),
			 GD_OK);
	bundle_writer_release(&w);

	/* The manifest says the same. */
	evidence_set_init(&set);
	assert_int_equal(evidence_dir_read(&set, tmp, &eb), GD_OK);
	assert_true(set.through_manifest);
	m = set.manifest;
	assert_int_equal(m.version, BUNDLE_VERSION);
	assert_int_equal(m.id.pid, 4242);
	assert_int_equal(m.nfiles, 2);
	assert_true(m.files[0].ok);
	assert_int_equal(m.files[0].bytes, strlen(dump));
	assert_int_equal(m.files[0].kind, EV_GOROUTINE_DEBUG2);
	assert_false(m.files[1].ok);
	/* Read back: the dump, and the failed heap as a failed piece. */
	assert_int_equal(set.n, 2);
	assert_false(set.v[0].failed);
	assert_int_equal(set.v[0].len, strlen(dump));
	assert_int_equal(set.v[0].time, 100);
	assert_true(set.v[1].failed);
	assert_non_null(strstr(set.v[1].note, "not saved when the bundle was made"));
	evidence_set_release(&set);
	rmtmp();
}

static void test_read_through_manifest(void **state)
{
	struct bundle_writer w;
	struct gd_errbuf eb = { "" };
	struct evidence_set set;
	size_t ignored = 0, read = 0;
	(void)state;
	mktmp();
	assert_int_equal(bundle_writer_open(&w, tmp, &eb), GD_OK);
	bundle_writer_save(&w, "goroutine-debug2.txt", EV_GOROUTINE_DEBUG2, dump, strlen(dump), "u", 1);
	bundle_writer_save(&w, "proc-status.txt", EV_PROC_STATUS, status, strlen(status), "/proc/4242/status", 1);
	assert_int_equal(bundle_writer_finish(&w, &(struct bundle_identity){ .time = 5 }, NULL, &eb), GD_OK);
	bundle_writer_release(&w);
	/* Later, someone drops a stale dump in, and edits the status. */
	put("goroutines-old.txt", dump);
	put("proc-status.txt", "Name:\tother\nPid:\t1\n");
	evidence_set_init(&set);
	assert_int_equal(evidence_dir_read(&set, tmp, &eb), GD_OK);
	for (size_t i = 0; i < set.n; i++) {
		const struct evidence_piece *p = &set.v[i];
		if (!strcmp(p->name, "goroutines-old.txt")) {
			assert_true(p->failed);
			assert_non_null(strstr(p->note, "not in the bundle's manifest: ignored"));
			ignored++;
		} else if (!strcmp(p->name, "proc-status.txt")) {
			assert_true(p->failed);
			assert_non_null(strstr(p->note, "changed since the bundle was made"));
			assert_null(p->buf);
		} else {
			assert_string_equal(p->name, "goroutine-debug2.txt");
			assert_false(p->failed);
			assert_int_equal(p->kind, EV_GOROUTINE_DEBUG2);
			read++;
		}
	}
	assert_int_equal(ignored, 1);
	assert_int_equal(read, 1);
	assert_int_equal(set.n, 3);
	evidence_set_release(&set);
	rmtmp();
}

static void test_loose_directory(void **state)
{
	struct gd_errbuf eb = { "" };
	struct evidence_set set;
	char link[512];
	(void)state;
	mktmp();
	put("dump from prod.log", dump);
	put("status", status);
	put("notes.md", "# what we saw\nit was slow\n");
	snprintf(link, sizeof(link), "%s/shadow", tmp);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	evidence_set_init(&set);
	assert_int_equal(evidence_dir_read(&set, tmp, &eb), GD_OK);
	assert_false(set.has_manifest);
	assert_int_equal(set.n, 4);
	/* Sorted by name: "dump from prod.log", notes.md, shadow, status. */
	assert_int_equal(set.v[0].kind, EV_GOROUTINE_DEBUG2);
	assert_int_equal(set.v[1].kind, EV_UNKNOWN);
	assert_true(set.v[2].failed); /* a symbolic link is never followed */
	assert_non_null(strstr(set.v[2].note, "symbolic link"));
	assert_int_equal(set.v[3].kind, EV_PROC_STATUS);
	evidence_set_release(&set);
	/* One file on its own. */
	evidence_set_init(&set);
	snprintf(link, sizeof(link), "%s/status", tmp);
	assert_int_equal(evidence_file_read(&set, link, &eb), GD_OK);
	assert_int_equal(set.v[0].kind, EV_PROC_STATUS);
	snprintf(link, sizeof(link), "%s/nothing-here", tmp);
	assert_int_equal(evidence_file_read(&set, link, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "nothing-here"));
	evidence_set_release(&set);
	rmtmp();
}

static void test_manifest_parse(void **state)
{
	struct bundle_manifest m;
	struct gd_errbuf eb = { "" };
	static const char *const bad[] = {
		"",
		"[]",
		"{\"files\": []}",
		"{\"godiag_bundle\": 2, \"files\": {}}",
		"{\"godiag_bundle\": 2, \"files\": [{\"name\": \"../x\", \"ok\": true, \"bytes\": 1}]}",
		"{\"godiag_bundle\": 2, \"files\": [{\"name\": \"a/b\", \"ok\": true, \"bytes\": 1}]}",
		"{\"godiag_bundle\": 2, \"files\": [{\"name\": \".hidden\", \"ok\": true, \"bytes\": 1}]}",
		"{\"godiag_bundle\": 2, \"files\": [{\"name\": \"a\", \"ok\": true}]}",
		("{\"godiag_bundle\": 2, \"files\": [{\"name\": \"a\", \"ok\": true, \"bytes\": 1},"
		 " {\"name\": \"a\", \"ok\": true, \"bytes\": 1}]}"),
		"{\"godiag_bundle\": 0}",
	};
	char *huge;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bundle_manifest_init(&m);
		eb.msg[0] = '\0';
		assert_int_not_equal(bundle_manifest_parse(&m, bad[i], strlen(bad[i]), &eb), GD_OK);
		assert_true(eb.msg[0] != '\0');
		bundle_manifest_release(&m);
	}
	/* Version 1: identity, no file list. */
	bundle_manifest_init(&m);
	{
		const char *v1 = "{\"godiag_bundle\": 1, \"pid\": 77, \"go_version\": \"go1.21.5\", \"time\": 3}";
		assert_int_equal(bundle_manifest_parse(&m, v1, strlen(v1), &eb), GD_OK);
	}
	assert_false(m.has_files);
	assert_int_equal(m.id.pid, 77);
	assert_string_equal(m.id.go_version, "go1.21.5");
	bundle_manifest_release(&m);
	/* The cap. */
	huge = malloc(BUNDLE_MANIFEST_MAX + 2);
	assert_non_null(huge);
	memset(huge, ' ', BUNDLE_MANIFEST_MAX + 1);
	huge[0] = '{';
	huge[BUNDLE_MANIFEST_MAX] = '}';
	bundle_manifest_init(&m);
	assert_int_equal(bundle_manifest_parse(&m, huge, BUNDLE_MANIFEST_MAX + 1, &eb), GD_ETOOBIG);
	bundle_manifest_release(&m);
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuses_non_empty),
		cmocka_unit_test(test_failed_write_recorded),
		cmocka_unit_test(test_read_through_manifest),
		cmocka_unit_test(test_loose_directory),
		cmocka_unit_test(test_manifest_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
