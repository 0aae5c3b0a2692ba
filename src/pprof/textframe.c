/* SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "pprof/textframe.h"
#include "util/numparse.h"
#include "util/banned.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void text_frame_split(const char *s, size_t n, struct text_frame *out)
{
	const char *end = s + n;
	if (s < end && *s == '#')
		s++;
	while (s < end && (*s == '\t' || *s == ' '))
		s++;
	out->pc = s;
	while (s < end && *s != '\t')
		s++;
	out->pc_len = (size_t)(s - out->pc);
	while (s < end && (*s == '\t' || *s == ' '))
		s++;
	out->func = s;
	while (s < end && *s != '\t')
		s++;
	out->func_len = (size_t)(s - out->func);
	while (s < end && *s == '\t')
		s++;
	out->file = s;
	out->file_len = (size_t)(end - s);
	while (out->file_len && (out->file[out->file_len - 1] == ' ' || out->file[out->file_len - 1] == '\t'))
		out->file_len--;
	out->line = 0;

	/* "+0x24" */
	for (const char *q = out->func + out->func_len; q > out->func; q--) {
		if (q[-1] != '+')
			continue;
		if (out->func + out->func_len - q > 2 && q[0] == '0' && q[1] == 'x') {
			bool hex = true;
			for (const char *r = q + 2; r < out->func + out->func_len; r++)
				hex &= is_hex(*r);
			if (hex)
				out->func_len = (size_t)(q - 1 - out->func);
		}
		break;
	}
	/* ":77" */
	for (const char *q = out->file + out->file_len; q > out->file; q--) {
		uint64_t v;
		if (q[-1] != ':')
			continue;
		if (parse_u64_n(q, (size_t)(out->file + out->file_len - q), &v) && v <= UINT32_MAX) {
			out->line = (uint32_t)v;
			out->file_len = (size_t)(q - 1 - out->file);
		}
		break;
	}
}
