/* SPDX-License-Identifier: MIT */
/* Tests for linux/procfs: the readers replay the recorded /proc and /sys
 * trees under tests/fixtures/proc/host1 (a Go 1.14 service with a MADV_FREE
 * backlog, a pid without smaps_rollup, garbage, truncated files, a missing
 * pid) and the live /proc of the test itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "linux/process.h"
#include "linux/procfs.h"
#include "util/human.h"

static char proc_root[4096], sys_root[4096];

static int setup_roots(void **state)
{
	const char *src = getenv("SRCDIR");
	(void)state;
	if (!src)
		src = ".";
	snprintf(proc_root, sizeof(proc_root), "%s/tests/fixtures/proc/host1/proc", src);
	snprintf(sys_root, sizeof(sys_root), "%s/tests/fixtures/proc/host1/sys", src);
	return 0;
}

#define KB(x) ((uint64_t)(x) * 1024)
#define KNOWN(s, f) (((s).known >> (f)) & 1)

static void test_status_fixture(void **state)
{
	struct proc_status st;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(proc_status_read(proc_root, 123, &st, &eb), GD_OK);
	assert_string_equal(st.name, "billing");
	assert_int_equal(st.uid, 1000);
	assert_int_equal(st.euid, 1000);
	assert_int_equal(st.ppid, 1);
	assert_true(KNOWN(st, PST_VMRSS));
	assert_true(st.v[PST_VMRSS] == KB(1153434));
	assert_true(st.v[PST_VMHWM] == KB(1201000));
	assert_true(st.v[PST_RSSANON] == KB(1140000));
	assert_true(st.v[PST_RSSFILE] == KB(13434));
	assert_true(KNOWN(st, PST_RSSSHMEM));
	assert_true(st.v[PST_RSSSHMEM] == 0);
	assert_true(KNOWN(st, PST_VMSWAP));
	/* Threads is a count, not kB. */
	assert_true(st.v[PST_THREADS] == 14);
}

static void test_status_numbers(void **state)
{
	struct proc_status st;
	struct gd_errbuf eb;
	static const char overflow[] = "Name:\tx\nVmRSS:\t18014398509481984 kB\nThreads:\t3\n";
	static const char digits[] = "VmRSS:\t99999999999999999999999 kB\n";
	static const char nounit[] = "VmRSS:\t12\nThreads:\t2\n";
	static const char extra[] = "Future:\tstuff\nVmRSS:   7 kB  \n\nno colon here\nThreads:  5\n";
	(void)state;
	/* 2^54 kB overflows 64 bits once multiplied by 1024. */
	assert_int_equal(proc_status_parse(overflow, sizeof(overflow) - 1, &st, "t", &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "VmRSS"));
	assert_false(KNOWN(st, PST_VMRSS));
	assert_true(KNOWN(st, PST_THREADS)); /* fields after the bad one still parse */
	assert_true(st.v[PST_THREADS] == 3);
	assert_int_equal(proc_status_parse(digits, sizeof(digits) - 1, &st, "t", &eb), GD_EFORMAT);
	assert_int_equal(proc_status_parse(nounit, sizeof(nounit) - 1, &st, "t", &eb), GD_EFORMAT);
	assert_true(st.v[PST_THREADS] == 2);
	assert_int_equal(proc_status_parse(extra, sizeof(extra) - 1, &st, "t", &eb), GD_OK);
	assert_true(st.v[PST_VMRSS] == KB(7));
	assert_true(st.v[PST_THREADS] == 5);
	assert_false(KNOWN(st, PST_NAME));
}

static void test_smaps_rollup_fixture(void **state)
{
	struct proc_smaps sm;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(proc_smaps_read(proc_root, 123, &sm, &eb), GD_OK);
	assert_int_equal(sm.source, SMAPS_ROLLUP);
	assert_true(sm.mappings == 1);
	assert_true(sm.v[SM_RSS] == KB(1153434));
	assert_true(sm.v[SM_ANONYMOUS] == KB(1140000));
	assert_true(KNOWN(sm, SM_LAZYFREE));
	assert_true(sm.v[SM_LAZYFREE] == KB(1048576));
	assert_true(KNOWN(sm, SM_ANON_HUGE));
	assert_true(KNOWN(sm, SM_SWAP));
	assert_string_equal(proc_smaps_source_name(sm.source), "smaps_rollup");
}

static void test_smaps_fallback_sums(void **state)
{
	struct proc_smaps sm;
	struct gd_errbuf eb;
	(void)state;
	/* 124 has no smaps_rollup: three mappings get added up. */
	assert_int_equal(proc_smaps_read(proc_root, 124, &sm, &eb), GD_OK);
	assert_int_equal(sm.source, SMAPS_SUMMED);
	assert_true(sm.mappings == 3);
	assert_true(sm.v[SM_RSS] == KB(4200 + 52000 + 5034));
	assert_true(sm.v[SM_ANONYMOUS] == KB(52000));
	assert_true(sm.v[SM_LAZYFREE] == 0);
	assert_true(KNOWN(sm, SM_LAZYFREE));
}

static void test_garbage_files(void **state)
{
	struct proc_status st;
	struct proc_smaps sm;
	struct proc_stat ps;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(proc_status_read(proc_root, 125, &st, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "125/status"));
	assert_int_equal(st.known, 0);
	assert_int_equal(proc_smaps_read(proc_root, 125, &sm, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "125/smaps_rollup"));
	assert_non_null(strstr(eb.msg, "Rss"));
	assert_int_equal(proc_stat_read(proc_root, 125, &ps, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "125/stat"));
}

static void test_truncated_files(void **state)
{
	struct proc_status st;
	struct proc_smaps sm;
	struct proc_stat ps;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(proc_status_read(proc_root, 126, &st, &eb), GD_ETRUNCATED);
	assert_non_null(strstr(eb.msg, "126/status"));
	/* What came before the cut is kept; what was after it is unknown. */
	assert_true(KNOWN(st, PST_VMRSS));
	assert_true(st.v[PST_VMRSS] == KB(5000));
	assert_true(KNOWN(st, PST_VMSWAP));
	assert_false(KNOWN(st, PST_THREADS));
	assert_int_equal(proc_smaps_read(proc_root, 126, &sm, &eb), GD_ETRUNCATED);
	assert_true(sm.v[SM_RSS] == KB(5000));
	assert_false(KNOWN(sm, SM_LAZYFREE));
	assert_int_equal(proc_stat_read(proc_root, 126, &ps, &eb), GD_ETRUNCATED);
}

static void test_missing_pid(void **state)
{
	struct proc_status st;
	struct proc_smaps sm;
	struct procinfo pi;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(proc_status_read(proc_root, 200, &st, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "/200/status: no such file"));
	assert_int_equal(proc_smaps_read(proc_root, 200, &sm, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "200/smaps_rollup"));
	/* every reader names the file it missed, per process or not */
	{
		struct proc_cgroup cg;
		struct proc_stat ps;
		uint64_t up;
		assert_int_equal(proc_stat_read(proc_root, 200, &ps, &eb), GD_ENOENT);
		assert_non_null(strstr(eb.msg, "/200/stat: no such file"));
		assert_int_equal(proc_cgroup_read(proc_root, sys_root, 200, &cg, NULL, &eb), GD_ENOENT);
		assert_non_null(strstr(eb.msg, "/200/cgroup: no such file"));
		assert_int_equal(proc_uptime_read(sys_root, &up, &eb), GD_ENOENT);
		assert_non_null(strstr(eb.msg, "sys/uptime: no such file"));
	}
	procinfo_init(&pi);
	assert_int_equal(procinfo_read(&pi, &(struct procfs_roots){ proc_root, sys_root }, 200,
				       PI_ALL, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "no such process"));
	procinfo_release(&pi);
}

static void test_environ(void **state)
{
	struct proc_environ env = { 0 };
	struct gd_errbuf eb;
	/* Go's runtime and os take the first GODEBUG, so must we. */
	static const char buf[] = "A=1\0GODEBUG=madvdontneed=0\0GODEBUG=madvdontneed=1\0"
				  "GOGC=off\0NOEQUALS\0\0GOMEMLIMIT=1GiB";
	(void)state;
	assert_int_equal(proc_environ_parse(buf, sizeof(buf) - 1, &env), GD_OK);
	assert_string_equal(env.val[PENV_GODEBUG], "madvdontneed=0");
	assert_string_equal(env.val[PENV_GOGC], "off");
	/* no trailing NUL on the last entry */
	assert_string_equal(env.val[PENV_GOMEMLIMIT], "1GiB");
	assert_null(env.val[PENV_GOTRACEBACK]);
	assert_false((env.known >> PENV_GOTRACEBACK) & 1);
	assert_true(env.count == 6);
	proc_environ_release(&env);
	assert_int_equal(proc_environ_read(proc_root, 123, &env, &eb), GD_OK);
	assert_string_equal(env.val[PENV_GOGC], "200");
	assert_string_equal(env.val[PENV_GOMAXPROCS], "2");
	assert_null(env.val[PENV_GODEBUG]);
	proc_environ_release(&env);
}

static void test_cmdline(void **state)
{
	struct proc_cmdline cl = { 0 };
	struct strbuf sb;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(proc_cmdline_read(proc_root, 123, &cl, &eb), GD_OK);
	assert_int_equal(cl.argc, 3);
	assert_string_equal(cl.argv[0], "/srv/billing/bin/billing");
	assert_string_equal(cl.argv[2], "/etc/billing.yaml");
	strbuf_init(&sb, 20);
	proc_cmdline_join(&cl, &sb);
	/* Capped by the caller's buffer: the first args fit, the rest is cut. */
	assert_string_equal(sb.buf, "/srv/billing/bin/bil");
	strbuf_release(&sb);
	proc_cmdline_release(&cl);
	assert_int_equal(proc_cmdline_parse("", 0, &cl), GD_OK);
	assert_int_equal(cl.argc, 0);
	proc_cmdline_release(&cl);
}

static void test_stat_and_age(void **state)
{
	struct proc_stat ps;
	struct gd_errbuf eb;
	uint64_t up;
	/* comm may hold ") (" and spaces: the last ')' ends it. */
	static const char tricky[] = "42 (a) (b c) R 7 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 5 0 12345 0 0\n";
	(void)state;
	assert_int_equal(proc_stat_parse(tricky, sizeof(tricky) - 1, &ps, "t", &eb), GD_OK);
	assert_string_equal(ps.comm, "a) (b c");
	assert_int_equal(ps.state, 'R');
	assert_int_equal(ps.ppid, 7);
	assert_true(ps.num_threads == 5);
	assert_true(ps.starttime == 12345);
	assert_int_equal(proc_stat_read(proc_root, 123, &ps, &eb), GD_OK);
	assert_true(ps.starttime == 9000000);
	assert_int_equal(proc_uptime_read(proc_root, &up, &eb), GD_OK);
	assert_true(up == 100000000);
	/* 9,000,000 ticks at 100 Hz = 90,000 s after boot; uptime 100,000 s. */
	assert_true(proc_age_seconds(ps.starttime, up, 100) == 10000);
	assert_true(proc_age_seconds(UINT64_MAX, up, 100) == 0);
	assert_int_equal(proc_uptime_parse("12.5 3\n", 7, &up, "t", &eb), GD_OK);
	assert_true(up == 12500);
	assert_int_equal(proc_uptime_parse("x", 1, &up, "t", &eb), GD_EFORMAT);
}

static void test_cgroup_v2(void **state)
{
	struct proc_cgroup cg;
	struct proc_notes notes = { 0 };
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(proc_cgroup_read(proc_root, sys_root, 123, &cg, &notes, &eb), GD_OK);
	assert_int_equal(cg.version, 2);
	assert_string_equal(cg.path, "/system.slice/billing.service");
	assert_true(cg.v[CG_CURRENT] == 1211000000ull);
	assert_false(cg.unlimited);
	assert_true(cg.v[CG_MAX] == 2147483648ull);
	assert_true(cg.v[CG_ANON] == 1167360000ull);
	assert_true(cg.v[CG_FILE] == 13756416ull);
	assert_true(cg.v[CG_KERNEL_STACK] == 229376ull);
	assert_true(KNOWN(cg, CG_ANON_THP));
	assert_int_equal(notes.nr, 0);
	/* 127: memory.max is "max" */
	assert_int_equal(proc_cgroup_read(proc_root, sys_root, 127, &cg, &notes, &eb), GD_OK);
	assert_true(cg.unlimited);
	assert_true(KNOWN(cg, CG_MAX));
	proc_notes_release(&notes);
}

static void test_cgroup_v1_hybrid(void **state)
{
	struct proc_cgroup cg;
	struct gd_errbuf eb;
	(void)state;
	/* "0::/" has no memory.current: the v1 memory controller is used. */
	assert_int_equal(proc_cgroup_read(proc_root, sys_root, 124, &cg, NULL, &eb), GD_OK);
	assert_int_equal(cg.version, 1);
	assert_string_equal(cg.v1_path, "/docker/c0ffee");
	assert_true(cg.v[CG_CURRENT] == 70000000ull);
	assert_true(cg.unlimited);
	assert_true(cg.v[CG_ANON] == 53248000ull);
	assert_true(cg.v[CG_FILE] == 9457664ull);
	assert_false(KNOWN(cg, CG_SOCK));
}

static void test_cgroup_parse_hostile(void **state)
{
	struct proc_cgroup cg;
	struct gd_errbuf eb;
	static const char esc[] = "0::/../../etc\n";
	static const char none[] = "5:cpu:/x\n";
	static const char both[] = "7:memory,cpu:/a\n0::/b\n";
	(void)state;
	memset(&cg, 0, sizeof(cg));
	assert_int_equal(proc_cgroup_parse(esc, sizeof(esc) - 1, &cg, "t", &eb), GD_EFORMAT);
	assert_int_equal(proc_cgroup_parse(none, sizeof(none) - 1, &cg, "t", &eb), GD_ENOENT);
	assert_int_equal(proc_cgroup_parse(both, sizeof(both) - 1, &cg, "t", &eb), GD_OK);
	assert_string_equal(cg.v1_path, "/a");
	assert_string_equal(cg.path, "/b");
}

static void test_thp_and_kernel(void **state)
{
	struct sys_thp thp;
	struct proc_notes notes = { 0 };
	struct gd_errbuf eb;
	char rel[128], sel[24];
	(void)state;
	assert_int_equal(sys_thp_read(sys_root, &thp, &notes, &eb), GD_OK);
	assert_string_equal(thp.enabled, "madvise");
	assert_string_equal(thp.defrag, "madvise");
	assert_true(thp.max_ptes_none_known);
	assert_true(thp.max_ptes_none == 511);
	assert_int_equal(notes.nr, 0);
	assert_int_equal(proc_kernel_release(proc_root, rel, sizeof(rel), &eb), GD_OK);
	assert_string_equal(rel, "6.1.0-18-amd64");
	assert_int_equal(sys_thp_selected("[always] never", 14, sel, sizeof(sel)), GD_OK);
	assert_string_equal(sel, "always");
	assert_int_equal(sys_thp_selected("always never", 12, sel, sizeof(sel)), GD_EFORMAT);
	assert_int_equal(sys_thp_selected("[] x", 4, sel, sizeof(sel)), GD_EFORMAT);
	/* A root without THP files: three notes, an error. */
	assert_int_not_equal(sys_thp_read(proc_root, &thp, &notes, &eb), GD_OK);
	assert_int_equal(notes.nr, 3);
	assert_false(thp.enabled_known);
	proc_notes_release(&notes);
}

static void test_procinfo_full_and_partial(void **state)
{
	struct procinfo pi;
	struct gd_errbuf eb;
	struct procfs_roots roots = { proc_root, sys_root };
	(void)state;
	procinfo_init(&pi);
	assert_int_equal(procinfo_read(&pi, &roots, 123, PI_ALL, &eb), GD_OK);
	assert_int_equal(pi.have, PI_ALL);
	assert_false(procinfo_partial(&pi));
	assert_int_equal(pi.notes.nr, 0);
	assert_true(pi.age_known);
	assert_string_equal(pi.kernel_release, "6.1.0-18-amd64");
	assert_true(pi.smaps.v[SM_LAZYFREE] == KB(1048576));

	/* 126: truncated status/smaps/stat, no environ, cmdline or cgroup. */
	assert_int_equal(procinfo_read(&pi, &roots, 126, PI_ALL, &eb), GD_OK);
	assert_true(procinfo_partial(&pi));
	assert_true(pi.status.v[PST_VMRSS] == KB(5000));
	assert_non_null(proc_notes_find(&pi.notes, "status"));
	assert_non_null(strstr(proc_notes_find(&pi.notes, "status")->why, "126/status"));
	assert_non_null(proc_notes_find(&pi.notes, "smaps"));
	assert_non_null(proc_notes_find(&pi.notes, "environ"));
	assert_non_null(proc_notes_find(&pi.notes, "cgroup"));
	assert_null(proc_notes_find(&pi.notes, "kernel"));
	assert_true(pi.have & PI_KERNEL);
	assert_false(pi.have & PI_STATUS);
	procinfo_release(&pi);
}

/* procmem asks the live /proc for a target's effective uid this way. */
static void test_live_uid(void **state)
{
	struct proc_status st;
	struct gd_errbuf eb = { "" };
	(void)state;
	assert_int_equal(proc_status_read(PROCFS_ROOT_DEFAULT, (int)getpid(), &st, &eb), GD_OK);
	assert_true(st.known & (1u << PST_UID));
	assert_int_equal(st.uid, getuid());
	assert_int_equal(st.euid, geteuid());
}

static void test_read_file_guards(void **state)
{
	char dir[] = "/tmp/godiag-procfs-XXXXXX";
	char path[4200];
	struct strbuf sb;
	struct gd_errbuf eb;
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	strbuf_init(&sb, PROCFS_SMAPS_CAP);
	/* A FIFO would block a plain read forever: refused, not read. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(procfs_read_file(path, 100, &sb, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "not a regular file"));
	unlink(path);
	/* Over the cap: the first cap bytes and GD_ETOOBIG. */
	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 1000; i++)
		fputs("0123456789", f);
	fclose(f);
	assert_int_equal(procfs_read_file(path, 4096, &sb, &eb), GD_ETOOBIG);
	assert_int_equal(sb.len, 4096);
	assert_non_null(strstr(eb.msg, "larger than 4096"));
	assert_int_equal(procfs_read_file(path, 10000, &sb, &eb), GD_OK);
	assert_int_equal(sb.len, 10000);
	unlink(path);
	rmdir(dir);
	strbuf_release(&sb);
}

static void test_live_self(void **state)
{
	struct procinfo pi;
	struct gd_errbuf eb;
	(void)state;
	procinfo_init(&pi);
	assert_int_equal(procinfo_read(&pi, NULL, (int)getpid(), PI_STATUS | PI_SMAPS | PI_STAT |
				       PI_CMDLINE | PI_ENVIRON | PI_KERNEL, &eb), GD_OK);
	assert_true(pi.have & PI_STATUS);
	assert_true(pi.status.v[PST_VMRSS] > 0);
	assert_true(pi.status.v[PST_THREADS] >= 1);
	assert_true(pi.have & PI_SMAPS);
	assert_true(pi.smaps.v[SM_RSS] > 0);
	assert_true(KNOWN(pi.smaps, SM_LAZYFREE));
	assert_true(pi.cmdline.argc >= 1);
	assert_non_null(strstr(pi.cmdline.argv[0], "test_procfs"));
	assert_true(pi.kernel_release[0] != '\0');
	assert_int_equal(pi.stat.state, 'R');
	procinfo_release(&pi);
}

static void test_process_scan_fixture(void **state)
{
	struct process_scan ps;
	struct gd_errbuf eb;
	(void)state;
	process_scan_init(&ps);
	assert_int_equal(process_scan_run(&ps, proc_root, &eb), GD_OK);
	/* 123, 124, 125, 126, 127, 130 listed; 125/126 have no exe; 130 runs
	 * a shell script. */
	assert_int_equal(ps.seen, 6);
	assert_int_equal(ps.nr, 3);
	assert_int_equal(ps.v[0].pid, 123);
	assert_string_equal(ps.v[0].bin->bi.go_version, "go1.14.15");
	assert_string_equal(ps.v[0].bin->bi.mod_path, "example.com/billing");
	assert_string_equal(ps.v[0].exe, "../../bin/billing");
	assert_true(ps.v[0].verified);
	assert_int_equal(ps.v[1].pid, 124);
	assert_int_equal(ps.v[2].pid, 127);
	assert_string_equal(ps.v[2].bin->bi.go_version, "go1.21.6");
	assert_int_equal(ps.not_go, 1);
	assert_int_equal(ps.no_exe, 2);
	assert_int_equal(ps.denied, 0);
	/* the script was turned away without the full reader */
	assert_int_equal(ps.cache.reads, 3);
	assert_int_equal(ps.cache.prefiltered, 1);
	process_scan_release(&ps);
}

static void test_process_identify_and_policy(void **state)
{
	struct bin_cache c;
	struct go_process gp;
	struct godebug_eval ev;
	struct gd_errbuf eb;
	(void)state;
	bin_cache_init(&c);
	assert_int_equal(process_identify(&c, proc_root, 123, &gp, &eb), GD_OK);
	process_mem_policy(&gp, "6.1.0-18-amd64", NULL, &ev);
	assert_int_equal(ev.policy, MEM_POLICY_MADV_FREE);
	godebug_eval_release(&ev);
	/* same process again: served from the cache */
	assert_int_equal(process_identify(&c, proc_root, 123, &gp, &eb), GD_OK);
	assert_true(c.hits == 1);
	assert_true(c.reads == 1);
	/* 127: madvdontneed=0 baked in with -X runtime.godebugDefault on 1.21 */
	assert_int_equal(process_identify(&c, proc_root, 127, &gp, &eb), GD_OK);
	process_mem_policy(&gp, "6.1.0-18-amd64", NULL, &ev);
	assert_int_equal(ev.policy, MEM_POLICY_MADV_FREE);
	godebug_eval_release(&ev);
	/* ... which the environment can override */
	process_mem_policy(&gp, "6.1.0-18-amd64", "madvdontneed=1", &ev);
	assert_int_equal(ev.policy, MEM_POLICY_MADV_DONTNEED);
	godebug_eval_release(&ev);
	assert_int_equal(process_identify(&c, proc_root, 130, &gp, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "not an ELF file"));
	assert_int_equal(process_identify(&c, proc_root, 125, &gp, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "no executable"));
	assert_int_equal(process_identify(&c, proc_root, 200, &gp, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "no such process"));
	bin_cache_release(&c);
}

static void test_elf_precheck(void **state)
{
	const char *why = "";
	char path[4200];
	int fd;
	(void)state;
	/* A real non-Go ELF with section headers: turned away cheaply. */
	fd = open("/bin/sh", O_RDONLY);
	assert_true(fd >= 0);
	assert_true(elf_surely_not_go(fd, &why));
	assert_non_null(strstr(why, "no Go sections"));
	close(fd);
	/* The fake Go binary has .go.buildinfo: maybe Go, read it fully. */
	snprintf(path, sizeof(path), "%s/../bin/api", proc_root);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_false(elf_surely_not_go(fd, &why));
	close(fd);
	/* Our own test binary, live: the C toolchain left no Go sections. */
	fd = open("/proc/self/exe", O_RDONLY);
	assert_true(fd >= 0);
	assert_true(elf_surely_not_go(fd, &why));
	close(fd);
}

static void test_human(void **state)
{
	char b[32];
	(void)state;
	human_bytes(b, sizeof(b), 1181116416);
	assert_string_equal(b, "1.1 GiB");
	human_bytes(b, sizeof(b), 629145600);
	assert_string_equal(b, "600 MiB");
	human_bytes(b, sizeof(b), 900);
	assert_string_equal(b, "900 B");
	procfs_human_age(b, sizeof(b), 10000);
	assert_string_equal(b, "2h46m");
	procfs_human_age(b, sizeof(b), 3 * 86400 + 7 * 3600);
	assert_string_equal(b, "3d07h");
	procfs_human_age(b, sizeof(b), 59);
	assert_string_equal(b, "59s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_fixture),
		cmocka_unit_test(test_status_numbers),
		cmocka_unit_test(test_smaps_rollup_fixture),
		cmocka_unit_test(test_smaps_fallback_sums),
		cmocka_unit_test(test_garbage_files),
		cmocka_unit_test(test_truncated_files),
		cmocka_unit_test(test_missing_pid),
		cmocka_unit_test(test_environ),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_stat_and_age),
		cmocka_unit_test(test_cgroup_v2),
		cmocka_unit_test(test_cgroup_v1_hybrid),
		cmocka_unit_test(test_cgroup_parse_hostile),
		cmocka_unit_test(test_thp_and_kernel),
		cmocka_unit_test(test_procinfo_full_and_partial),
		cmocka_unit_test(test_read_file_guards),
		cmocka_unit_test(test_live_uid),
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_process_scan_fixture),
		cmocka_unit_test(test_process_identify_and_policy),
		cmocka_unit_test(test_elf_precheck),
		cmocka_unit_test(test_human),
	};
	return cmocka_run_group_tests(tests, setup_roots, NULL);
}
