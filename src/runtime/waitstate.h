/* SPDX-License-Identifier: MIT */
/* What a goroutine waits on, read from its stack, for profiles that carry no
 * states (debug=1 text, debug=0 protobuf).  debug=1 hides the leading
 * runtime frames, so only some states show there (IO wait, semacquire,
 * sleep, running); debug=0 keeps them and shows channel waits too. */
#ifndef GODIAG_WAITSTATE_H
#define GODIAG_WAITSTATE_H

#include <stdint.h>

#include "model/goroutine.h"

/* The wait reason as debug=2 would print it ("IO wait", "chan receive",
 * "select", "semacquire", "sleep", "running"), or NULL when the stack does
 * not say.  frames: innermost first. */
const char *waitstate_infer(const struct gd_frame *frames, uint32_t nframes);

#endif
