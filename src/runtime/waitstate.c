/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "runtime/waitstate.h"
#include "util/banned.h"

static const struct {
	const char *func; /* exact function name */
	const char *state;
} table[] = {
	{ "internal/poll.runtime_pollWait", "IO wait" },
	{ "runtime.netpollblock", "IO wait" },
	{ "runtime.chanrecv", "chan receive" },
	{ "runtime.chanrecv1", "chan receive" },
	{ "runtime.chanrecv2", "chan receive" },
	{ "runtime.chansend", "chan send" },
	{ "runtime.chansend1", "chan send" },
	{ "runtime.selectgo", "select" },
	{ "runtime.block", "select (no cases)" },
	{ "sync.runtime_SemacquireMutex", "semacquire" },
	{ "sync.runtime_Semacquire", "semacquire" },
	{ "sync.runtime_SemacquireRWMutex", "semacquire" },
	{ "sync.runtime_SemacquireRWMutexR", "semacquire" },
	{ "sync.runtime_SemacquireWaitGroup", "semacquire" },
	{ "sync.runtime_notifyListWait", "sync.Cond.Wait" },
	{ "time.Sleep", "sleep" },
	{ "runtime.timeSleep", "sleep" },
	/* The goroutine writing the profile is the one running. */
	{ "runtime/pprof.writeRuntimeProfile", "running" },
	{ "runtime/pprof.writeGoroutine", "running" },
	{ "runtime/pprof.writeGoroutineStacks", "running" },
	{ "runtime.goroutineProfileWithLabels", "running" },
};

static int starts(const struct gd_frame *f, const char *pre)
{
	size_t n = strlen(pre);
	return f->func_len >= n && !memcmp(f->func, pre, n);
}

const char *waitstate_infer(const struct gd_frame *frames, uint32_t nframes)
{
	/* The first frames decide: what the goroutine called last. */
	for (uint32_t i = 0; i < nframes && i < 6; i++) {
		for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++)
			if (frames[i].func_len == strlen(table[k].func) &&
			    !memcmp(frames[i].func, table[k].func, frames[i].func_len))
				return table[k].state;
		if (!starts(&frames[i], "runtime.") && !starts(&frames[i], "runtime/") &&
		    !starts(&frames[i], "internal/") && !starts(&frames[i], "sync."))
			break; /* past the runtime: the application's own frame */
	}
	return NULL;
}
