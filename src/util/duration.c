/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "util/duration.h"
#include "util/numparse.h"
#include "util/banned.h"

bool parse_duration_ms(const char *s, uint64_t bare_unit_ms, uint64_t *out)
{
	uint64_t total = 0;
	const char *p = s, *end = s + strlen(s);
	if (!*p)
		return false;
	while (*p) {
		uint64_t mult, v;
		if (!scan_u64(&p, end, &v))
			return false;
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
