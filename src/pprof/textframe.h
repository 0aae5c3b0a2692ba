/* SPDX-License-Identifier: MIT */
/* One frame line of runtime/pprof's legacy text formats (debug=1 goroutine
 * profiles, heap?debug=1, ...):
 *
 *   #	0x4605c4	sync.runtime_SemacquireMutex+0x24	/usr/lib/go/src/runtime/sema.go:77
 *
 * Columns are separated by runs of tabs (text/tabwriter).  A frame without
 * a symbol prints only "#\t0x4605c4". */
#ifndef GODIAG_PPROF_TEXTFRAME_H
#define GODIAG_PPROF_TEXTFRAME_H

#include <stddef.h>
#include <stdint.h>

struct text_frame {
	const char *pc, *func, *file; /* slices of the line */
	size_t pc_len, func_len, file_len;
	uint32_t line;                /* 0 when the file has no ":N" */
};

/* Split s[0..n) (starting at '#').  func loses its "+0x24" offset, which
 * differs between builds of the same code; file loses its ":N".  func_len 0
 * means no symbol; file_len 0 means no file. */
void text_frame_split(const char *s, size_t n, struct text_frame *out);

#endif
