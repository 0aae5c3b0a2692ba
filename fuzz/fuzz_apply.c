/* SPDX-License-Identifier: MIT */
/* Evidence routing: bytes from a ticket's directory or a URL are sniffed and
 * handed by kind to one of a dozen parsers through snapshot_apply().  The
 * first byte also forces a kind, so every parser sees bytes that another
 * format's sniffing would have sent elsewhere (a file the manifest names
 * with the wrong kind). */
#include <stddef.h>
#include <stdint.h>

#include "diagnose/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void apply(const struct evidence_piece *p)
{
	struct report rep;
	struct report_snapshot *rs;
	struct snapshot s;
	report_init(&rep, "fuzz");
	rs = report_add_snapshot(&rep, "fuzz", 0);
	snapshot_init(&s);
	snapshot_apply(&s, p, rs);
	/* A second piece of the same kind meets the first one's state. */
	snapshot_apply(&s, p, rs);
	snapshot_release(&s);
	report_release(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evidence_piece p = { .name = "fuzz.txt", .source = "fuzz" };
	if (!size)
		return 0;
	p.buf = (const char *)data + 1;
	p.len = size - 1;
	p.kind = evidence_sniff(p.name, data + 1, size - 1);
	apply(&p);
	p.kind = (enum evidence_kind)(data[0] % EV_KIND_MAX);
	apply(&p);
	return 0;
}
