/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the server settings a bundle carries
 * (server-settings.txt, census/settings.h): a bundle is untrusted input.
 * What parses must format back to text that parses to the same list. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/settings.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct server_settings *a, const struct server_settings *b)
{
	if (a->kind != b->kind || strcmp(a->type, b->type) || a->goroutines != b->goroutines ||
	    strcmp(a->addr, b->addr) || strcmp(a->source, b->source) || a->nfields != b->nfields)
		return false;
	for (size_t k = 0; k < a->nfields; k++)
		if (strcmp(a->names[k], b->names[k]) || a->ns[k] != b->ns[k])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_settings_list a, b;
	struct strbuf text = STRBUF_INIT_MAX(SERVER_SETTINGS_MAX_TEXT * 4);
	struct gd_errbuf eb = { "" };

	server_settings_list_init(&a);
	server_settings_list_init(&b);
	if (server_settings_parse((const char *)data, size, &a, &eb) == GD_OK) {
		server_settings_format(&a, &text);
		if (server_settings_parse(text.buf, text.len, &b, &eb) != GD_OK || a.n != b.n ||
		    strcmp(a.note, b.note))
			abort();
		for (size_t i = 0; i < a.n; i++) {
			char line[512];
			if (!same(&a.v[i], &b.v[i]))
				abort();
			server_settings_describe(&a.v[i], line, sizeof(line));
		}
	} else if (!eb.msg[0]) {
		abort(); /* an error always says what */
	}
	strbuf_release(&text);
	server_settings_list_release(&a);
	server_settings_list_release(&b);
	return 0;
}
