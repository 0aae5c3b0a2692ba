/* SPDX-License-Identifier: MIT */
#include "util/numparse.h"
#include "util/banned.h"

bool parse_u64_n(const char *s, size_t len, uint64_t *out)
{
	const char *p = s;

	return scan_u64(&p, s + len, out) && p == s + len;
}

bool parse_u64(const char *s, uint64_t *out)
{
	size_t len = 0;

	while (s[len])
		len++;
	return parse_u64_n(s, len, out);
}

bool parse_size(const char *s, uint64_t *out)
{
	size_t len = 0;
	unsigned shift = 0;
	uint64_t v;

	while (s[len] >= '0' && s[len] <= '9')
		len++;
	if (!parse_u64_n(s, len, &v))
		return false;
	switch (s[len]) {
	case '\0': break;
	case 'k': case 'K': shift = 10; len++; break;
	case 'm': case 'M': shift = 20; len++; break;
	case 'g': case 'G': shift = 30; len++; break;
	default: return false;
	}
	if (shift && s[len] == 'i' && s[len + 1] == 'B')
		len += 2; /* "64KiB", "4MiB" */
	else if (s[len] == 'B' || s[len] == 'b')
		len++;
	if (s[len] || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}
