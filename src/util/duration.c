/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"
#include "util/banned.h"

bool parse_duration_ms(const char *s, uint64_t bare_unit_ms, uint64_t *out)
{
	uint64_t total = 0;
	const char *p = s;
	if (!*p)
		return false;
	while (*p) {
		char *end;
		uint64_t mult;
		unsigned long long v;
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || end == p)
			return false;
		p = end;
		if (!strncmp(p, "ms", 2)) {
			mult = 1;
			p += 2;
		} else if (*p == 's') {
			mult = 1000;
			p++;
		} else if (*p == 'm') {
			mult = 60000;
			p++;
		} else if (*p == 'h') {
			mult = 3600000;
			p++;
		} else if (*p == 'd') {
			mult = 86400000;
			p++;
		} else if (!*p) {
			mult = bare_unit_ms;
		} else {
			return false;
		}
		if (v > UINT64_MAX / mult || total > UINT64_MAX - v * mult)
			return false;
		total += v * mult;
	}
	*out = total;
	return true;
}
