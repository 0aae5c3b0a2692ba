/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the pasted `ss -tinp` text parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/ss_text.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_text st;
	struct gd_errbuf eb;
	int pid;

	ss_text_init(&st);
	ss_text_parse(&st, (const char *)data, size, "fuzz", 0, &eb);
	for (size_t i = 0; i < st.socks.n; i++)
		if (st.socks.v[i].state == 0 || st.socks.v[i].state >= TCPS_MAX ||
		    strlen(st.owners[i].comm) >= sizeof(st.owners[i].comm))
			abort();
	pid = ss_text_main_pid(&st);
	ss_text_release(&st);
	if (pid > 0) {
		/* Filtering by that pid keeps only its rows. */
		ss_text_init(&st);
		ss_text_parse(&st, (const char *)data, size, "fuzz", pid, &eb);
		for (size_t i = 0; i < st.socks.n; i++)
			if (st.owners[i].pid != pid)
				abort();
		ss_text_release(&st);
	}
	return 0;
}
