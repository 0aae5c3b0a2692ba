/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for GODEBUG parsing and the memory-policy evaluation
 * (runtime/godebug): the Go version, the kernel release, DefaultGODEBUG,
 * the -ldflags and the environment's GODEBUG all come from the target.
 * The input is split at NUL bytes into those five fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/godebug.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	const char *field[5] = { NULL, NULL, NULL, NULL, NULL };
	struct godebug_eval ev;
	struct go_version gv;
	int major, minor;
	size_t nf = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	field[nf++] = buf;
	for (size_t i = 0; i < size && nf < 5; i++)
		if (!buf[i])
			field[nf++] = buf + i + 1;
	if (field[0] && go_version_parse(field[0], &gv))
		(void)go_version_at_least(&gv, 1, 16, 0);
	if (field[1])
		(void)kernel_release_parse(field[1], &major, &minor);
	godebug_eval_compute(&ev, field[0], field[1], field[2], field[3], field[4]);
	if (ev.policy != MEM_POLICY_UNKNOWN && ev.policy != MEM_POLICY_MADV_FREE &&
	    ev.policy != MEM_POLICY_MADV_DONTNEED)
		abort();
	if (!memchr(ev.reason, '\0', sizeof(ev.reason)))
		abort();
	if (ev.madvdontneed < -1 || ev.disablethp < -1)
		abort();
	if (ev.effective)
		(void)strlen(ev.effective);
	godebug_eval_release(&ev);
	free(buf);
	return 0;
}
