/* SPDX-License-Identifier: MIT */
/* States read off stacks, for profiles that carry none, on
 * synthetic stacks shaped like debug=1 and debug=0 ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runtime/waitstate.h"

#define F(name) { .func = name, .func_len = sizeof(name) - 1, .args = "", .file = "", .line = 1 }

static void test_infer_from_frames(void **state)
{
	const struct gd_frame io[] = { F("internal/poll.runtime_pollWait"), F("internal/poll.(*pollDesc).wait"),
				       F("net/http.(*conn).serve") };
	const struct gd_frame recv0[] = { F("runtime.gopark"), F("runtime.chanrecv"), F("runtime.chanrecv1"),
					  F("main.leakyRecv") };
	const struct gd_frame recv1[] = { F("main.leakyRecv") }; /* debug=1 hides the runtime */
	const struct gd_frame sem[] = { F("sync.runtime_SemacquireMutex"), F("sync.(*Mutex).lockSlow"),
					F("sync.(*Mutex).Lock"), F("main.leakyLock") };
	const struct gd_frame run[] = { F("runtime/pprof.writeRuntimeProfile"), F("runtime/pprof.writeGoroutine"),
					F("net/http/pprof.handler.ServeHTTP") };
	const struct gd_frame deep[] = { F("main.a"), F("time.Sleep") }; /* time.Sleep below app code */
	(void)state;
	assert_string_equal(waitstate_infer(io, 3), "IO wait");
	assert_string_equal(waitstate_infer(recv0, 4), "chan receive");
	assert_null(waitstate_infer(recv1, 1));
	assert_string_equal(waitstate_infer(sem, 4), "semacquire");
	assert_string_equal(waitstate_infer(run, 3), "running");
	assert_null(waitstate_infer(deep, 2));
	assert_null(waitstate_infer(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_infer_from_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
