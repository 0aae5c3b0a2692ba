/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>

#include "util/human.h"
#include "util/banned.h"

static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

void human_bytes(char *buf, size_t n, uint64_t bytes)
{
	double v = (double)bytes;
	int u = -1;
	if (bytes < 1024) {
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v < 9.95)
		snprintf(buf, n, "%.1f %s", v, units[u]);
	else
		snprintf(buf, n, "%.0f %s", v, units[u]);
}

void human_size_exact(char *buf, size_t n, uint64_t bytes)
{
	uint64_t v = bytes;
	int u = -1;
	while (u < 3 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(buf, n, "%llu %s", (unsigned long long)v, units[u]);
}

void human_count(char *buf, size_t n, uint64_t v)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	size_t o = 0;

	if (!n)
		return;
	for (int i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}
