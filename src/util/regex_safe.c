/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/regex_safe.h"
#include "util/banned.h"

static int is_quant(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

int regcomp_safe(regex_t *re, const char *pattern, char *err, size_t errlen)
{
	size_t len = strlen(pattern), bounds = 0, run = 0;
	unsigned long product = 1;
	int rc;
	if (len > REGEX_SAFE_MAX_LEN) {
		snprintf(err, errlen, "pattern longer than %d characters", REGEX_SAFE_MAX_LEN);
		return 1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = pattern[i];
		if (c == '\\' && i + 1 < len) {
			i++;
			run = 0;
			continue;
		}
		if (c == '[') {
			/* A bracket expression holds no quantifiers. */
			size_t j = i + 1;
			if (j < len && pattern[j] == '^')
				j++;
			if (j < len && pattern[j] == ']')
				j++;
			while (j < len && pattern[j] != ']')
				j++;
			i = j;
			run = 0;
			continue;
		}
		if (!is_quant(c)) {
			run = 0;
			continue;
		}
		if (++run > 2) {
			snprintf(err, errlen, "too many quantifiers in a row");
			return 1;
		}
		if (c == '{') {
			char *end;
			unsigned long lo = strtoul(pattern + i + 1, &end, 10), hi = lo;
			if (*end == ',')
				hi = strtoul(end + 1, &end, 10);
			if (lo > 100 || hi > 100) {
				snprintf(err, errlen, "repetition bound over 100");
				return 1;
			}
			product *= (hi > lo ? hi : lo) + 1;
			if (++bounds > 8 || product > 10000) {
				snprintf(err, errlen, "too many repetition bounds");
				return 1;
			}
		}
	}
	rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, re, err, errlen);
		return rc;
	}
	return 0;
}
