/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the /proc parsers: status, smaps(_rollup), environ,
 * cmdline, stat, uptime, cgroup, memory.stat and the THP selection, and the
 * ELF section-name pre-check of process discovery (through a memfd).  Every
 * input goes through all of them: each must return without reading past
 * the buffer, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux/process.h"
#include "linux/procfs.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy with no slack, so ASan sees any overread. */
	char *buf = malloc(size ? size : 1);
	struct gd_errbuf eb;
	struct proc_status st;
	struct proc_smaps sm;
	struct proc_environ env = { 0 };
	struct proc_cmdline cl = { 0 };
	struct proc_stat ps;
	struct proc_cgroup cg;
	uint64_t ms;
	char sel[24];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	proc_status_parse(buf, size, &st, "fuzz", &eb);
	proc_smaps_parse(buf, size, &sm, "fuzz", &eb);
	proc_environ_parse(buf, size, &env);
	proc_environ_release(&env);
	proc_cmdline_parse(buf, size, &cl);
	proc_cmdline_release(&cl);
	proc_stat_parse(buf, size, &ps, "fuzz", &eb);
	proc_uptime_parse(buf, size, &ms, "fuzz", &eb);
	memset(&cg, 0, sizeof(cg));
	if (proc_cgroup_parse(buf, size, &cg, "fuzz", &eb) == GD_OK) {
		/* Paths handed on to the sys root must never climb out of it. */
		if (strstr(cg.path, "/../") || strstr(cg.v1_path, "/../"))
			abort();
	}
	proc_cg_stat_parse(buf, size, 2, &cg);
	proc_cg_stat_parse(buf, size, 1, &cg);
	sys_thp_selected(buf, size, sel, sizeof(sel));
	{
		static int mfd = -1;
		const char *why = "";
		if (mfd < 0)
			mfd = memfd_create("fuzz-elf", MFD_CLOEXEC);
		if (mfd >= 0 && ftruncate(mfd, 0) == 0 && pwrite(mfd, buf, size, 0) == (ssize_t)size)
			elf_surely_not_go(mfd, &why);
	}
	free(buf);
	return 0;
}
