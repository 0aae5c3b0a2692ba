/* SPDX-License-Identifier: MIT */
/* The bundle manifest: a bundle handed over with a ticket is untrusted, and
 * its manifest decides which files are read (names must stay inside the
 * directory). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "diagnose/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_manifest m;
	struct gd_errbuf eb = { "" };
	bundle_manifest_init(&m);
	if (bundle_manifest_parse(&m, (const char *)data, size, &eb) == GD_OK) {
		for (size_t i = 0; i < m.nfiles; i++) {
			/* A name that escapes the directory must never get here. */
			if (strchr(m.files[i].name, '/') || m.files[i].name[0] == '.' || !m.files[i].name[0])
				__builtin_trap();
			bundle_manifest_file(&m, m.files[i].name);
		}
	} else if (!eb.msg[0]) {
		__builtin_trap();
	}
	bundle_manifest_release(&m);
	return 0;
}
