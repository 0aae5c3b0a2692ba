/* SPDX-License-Identifier: MIT */
/* Tests for diagnose/snapshot: pieces applied whatever their order (a
 * debug=2 dump wins over debug=1), failed pieces recorded as failed, the
 * listener guess only for ss text (sock_diag's lack of LISTEN rows is the
 * truth), counted right on 100k sockets, and a bundle directory read
 * through its manifest by snapshot_collect(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "diagnose/snapshot.h"
#include "util/banned.h"

static const char d2[] = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n\n"
			 "goroutine 7 [chan receive, 3 minutes]:\nmain.worker()\n\t/src/main.go:20 +0x2a\n"
			 "created by main.main\n\t/src/main.go:12 +0x3b\n";
static const char d1[] = "goroutine profile: total 5\n5 @ 0x1 0x2\n#\t0x1\tmain.worker+0x1\t/src/main.go:20\n\n";

static struct evidence_piece piece(enum evidence_kind k, const char *buf)
{
	struct evidence_piece p = { .kind = k, .source = "test", .buf = buf, .len = strlen(buf), .time = 1 };
	return p;
}

static void test_apply_order(void **state)
{
	struct report rep;
	struct report_snapshot *rs;
	struct snapshot s;
	struct evidence_piece p;
	(void)state;
	for (int order = 0; order < 2; order++) {
		report_init(&rep, "t");
		rs = report_add_snapshot(&rep, "t", 0);
		snapshot_init(&s);
		p = piece(order ? EV_GOROUTINE_DEBUG1 : EV_GOROUTINE_DEBUG2, order ? d1 : d2);
		assert_true(snapshot_apply(&s, &p, rs));
		p = piece(order ? EV_GOROUTINE_DEBUG2 : EV_GOROUTINE_DEBUG1, order ? d2 : d1);
		assert_true(snapshot_apply(&s, &p, rs));
		/* debug=2 (2 goroutines, with waits) whichever came first. */
		assert_true(s.has_goroutines);
		assert_true(s.goroutines_have_waits);
		assert_int_equal(s.g.total, 2);
		assert_int_equal(rs->npieces, 2);
		snapshot_release(&s);
		report_release(&rep);
	}
	/* A failed piece and garbage: recorded, not used. */
	report_init(&rep, "t");
	rs = report_add_snapshot(&rep, "t", 0);
	snapshot_init(&s);
	p = (struct evidence_piece){ .kind = EV_HEAP_TEXT, .what = "heap?debug=1", .failed = true, .note = "HTTP 500" };
	assert_false(snapshot_apply(&s, &p, rs));
	p = piece(EV_UNKNOWN, "hello\n");
	assert_false(snapshot_apply(&s, &p, rs));
	assert_int_equal(rs->npieces, 2);
	assert_false(rs->pieces[0].ok);
	assert_string_equal(rs->pieces[0].what, "heap?debug=1");
	assert_string_equal(rs->pieces[0].note, "HTTP 500");
	assert_non_null(strstr(rs->pieces[1].note, "unrecognised"));
	assert_false(s.has_heap);
	snapshot_release(&s);
	report_release(&rep);
}

static void add_sock(struct snapshot *s, int state, uint16_t lport, uint16_t pport)
{
	struct tcp_sock t;
	memset(&t, 0, sizeof(t));
	t.family = 2;
	t.state = (uint8_t)state;
	t.local_port = lport;
	t.peer_port = pport;
	tcp_sock_list_add(&s->socks, &t);
}

static void test_listeners(void **state)
{
	struct snapshot s;
	struct timespec t0, t1;
	(void)state;
	snapshot_init(&s);
	/* A pure client: many connections to :5432, its ephemeral ports
	 * reused across peers (here 40000 to two peers). */
	add_sock(&s, TCPS_ESTABLISHED, 40000, 5432);
	add_sock(&s, TCPS_ESTABLISHED, 40000, 6379);
	add_sock(&s, TCPS_ESTABLISHED, 40001, 5432);
	snapshot_find_listeners(&s, false);
	assert_int_equal(s.nlisten, 0); /* sock_diag: no LISTEN row, no listener */
	snapshot_find_listeners(&s, true);
	assert_int_equal(s.nlisten, 1); /* ss text: a shared local port is a guess */
	assert_int_equal(s.listen_ports[0], 40000);
	/* LISTEN rows win over any guess. */
	add_sock(&s, TCPS_LISTEN, 8080, 0);
	add_sock(&s, TCPS_LISTEN, 8080, 0);
	snapshot_find_listeners(&s, true);
	assert_int_equal(s.nlisten, 1);
	assert_int_equal(s.listen_ports[0], 8080);
	snapshot_release(&s);

	/* 100k connections to 3 server ports plus 50k clients with unique
	 * ports: the guess finds exactly the 3, fast (sorted, not O(n^2)). */
	snapshot_init(&s);
	for (int i = 0; i < 100000; i++)
		add_sock(&s, TCPS_ESTABLISHED, (uint16_t)(i % 3 == 0 ? 443 : i % 3 == 1 ? 8080 : 9090), (uint16_t)(i % 60000 + 1024));
	for (int i = 0; i < 50000; i++)
		add_sock(&s, TCPS_ESTABLISHED, (uint16_t)(10000 + i), 5432);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snapshot_find_listeners(&s, true);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(s.nlisten, 3);
	assert_int_equal(s.listen_ports[0], 443);
	assert_int_equal(s.listen_ports[1], 8080);
	assert_int_equal(s.listen_ports[2], 9090);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	snapshot_release(&s);
}

static void test_collect_bundle_dir(void **state)
{
	char dir[64] = "/tmp/godiag-test-snapshot-XXXXXX", path[256];
	struct bundle_writer w;
	struct gd_errbuf eb = { "" };
	struct collect_opts o;
	struct snapshot s;
	struct report rep;
	struct report_snapshot *rs;
	struct bundle_identity id = { .time = 1700000000, .pid = 4242, .go_version = (char *)"go1.21.5" };
	FILE *f;
	bool ignored = false;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bundle_writer_open(&w, dir, &eb), GD_OK);
	bundle_writer_save(&w, "goroutine-debug1.txt", EV_GOROUTINE_DEBUG1, d1, strlen(d1), "u", 1);
	assert_int_equal(bundle_writer_finish(&w, &id, NULL, &eb), GD_OK);
	bundle_writer_release(&w);
	/* A stale debug=2 dump copied in later must not replace the bundle's. */
	snprintf(path, sizeof(path), "%s/zz-stale.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(d2, f);
	fclose(f);

	collect_opts_init(&o);
	report_init(&rep, dir);
	rs = report_add_snapshot(&rep, dir, 0);
	snapshot_init(&s);
	assert_int_equal(snapshot_collect(&s, dir, &o, rs, &eb), GD_OK);
	assert_int_equal(s.g.total, 5);
	assert_false(s.goroutines_have_waits);
	assert_int_equal(s.pid, 4242);
	assert_int_equal(s.time, 1700000000);
	assert_string_equal(s.bi.go_version, "go1.21.5");
	for (size_t i = 0; i < rs->npieces; i++)
		if (!strcmp(rs->pieces[i].what, "zz-stale.txt")) {
			assert_false(rs->pieces[i].ok);
			ignored = true;
		}
	assert_true(ignored);
	snapshot_release(&s);
	report_release(&rep);

	/* One file as the target. */
	report_init(&rep, path);
	rs = report_add_snapshot(&rep, path, 0);
	snapshot_init(&s);
	assert_int_equal(snapshot_collect(&s, path, &o, rs, &eb), GD_OK);
	assert_int_equal(s.g.total, 2);
	assert_true(s.goroutines_have_waits);
	snapshot_release(&s);
	report_release(&rep);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_order),
		cmocka_unit_test(test_listeners),
		cmocka_unit_test(test_collect_bundle_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
