/* SPDX-License-Identifier: MIT */
/* Test helper: print what go_buildinfo_read_file() finds in a binary, so
 * tests/integration/buildinfo_real.sh can compare it with `go version -m`.
 *
 *   buildinfo_dump [-k KERNEL_RELEASE] [-e ENV_GODEBUG] FILE
 *
 * Output: key=value lines (go_version, format, how, offset, note, and the
 * godebug_eval result), then the module info re-serialised exactly as Go's
 * debug.BuildInfo.String() does, each line prefixed by a tab, which is the
 * body of `go version -m`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "linux/buildinfo.h"
#include "runtime/godebug.h"
#include "util/banned.h"

/* strconv.Quote for the bytes cmd/go writes (ASCII escapes; other bytes
 * are passed through, which is what Quote does for printable UTF-8). */
static void put_quoted(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\a': fputs("\\a", stdout); break;
		case '\b': fputs("\\b", stdout); break;
		case '\f': fputs("\\f", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\v': fputs("\\v", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '"': fputs("\\\"", stdout); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				printf("\\x%02x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

static void put_maybe_quoted(const char *s, int key)
{
	int q = key && !*s;
	for (const char *p = s; *p && !q; p++)
		q = strchr(" \t\r\n\"`", *p) || (key && *p == '=');
	if (q)
		put_quoted(s);
	else
		fputs(s, stdout);
}

/* debug.BuildInfo.String()'s formatMod, with a leading tab per line. */
static void put_mod(const char *word, const struct go_module *m)
{
	printf("\t%s\t%s\t%s", word, m->path, m->version);
	if (!m->replace) {
		printf("\t%s", m->sum);
	} else {
		putchar('\n');
		put_mod("=>", m->replace);
		/* String() ends the outer line too: an empty line, which
		 * go version -m prints as a lone tab. */
		putchar('\t');
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	const char *kernel = NULL, *env = NULL;
	struct go_buildinfo bi;
	struct godebug_eval ev;
	struct gd_errbuf eb = { { 0 } };
	struct utsname un;
	enum gd_err rc;
	int opt;

	while ((opt = getopt(argc, argv, "k:e:")) != -1) {
		if (opt == 'k')
			kernel = optarg;
		else if (opt == 'e')
			env = optarg;
		else
			return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: buildinfo_dump [-k KERNEL] [-e GODEBUG] FILE\n");
		return 2;
	}
	if (!kernel && uname(&un) == 0)
		kernel = un.release;

	go_buildinfo_init(&bi);
	rc = go_buildinfo_read_file(argv[optind], &bi, &eb);
	if (rc != GD_OK) {
		printf("error=%s\nmessage=%s\n", gd_strerror(rc), eb.msg);
		return 1;
	}
	printf("go_version=%s\n", bi.go_version ? bi.go_version : "");
	printf("format=%d\nhow=%s\noffset=%#llx\nnote=%s\n", bi.format,
	       go_buildinfo_how_name(bi.how), (unsigned long long)bi.blob_offset, bi.note);
	printf("ndeps=%zu\nnsettings=%zu\n", bi.ndeps, bi.nsettings);

	godebug_eval_compute(&ev, bi.go_version, kernel,
			     go_buildinfo_setting(&bi, "DefaultGODEBUG"),
			     go_buildinfo_setting(&bi, "-ldflags"), env);
	printf("policy=%s\neffective=%s\nreason=%s\n", mem_policy_name(ev.policy),
	       ev.effective, ev.reason);
	godebug_eval_release(&ev);

	if (bi.path)
		printf("\tpath\t%s\n", bi.path);
	if (bi.mod_path) {
		char empty[1] = "";
		struct go_module m = { bi.mod_path, bi.mod_version, bi.mod_sum ? bi.mod_sum : empty,
				       bi.mod_replace };
		put_mod("mod", &m);
	}
	for (size_t i = 0; i < bi.ndeps; i++)
		put_mod("dep", &bi.deps[i]);
	for (size_t i = 0; i < bi.nsettings; i++) {
		fputs("\tbuild\t", stdout);
		put_maybe_quoted(bi.settings[i].key, 1);
		putchar('=');
		put_maybe_quoted(bi.settings[i].value, 0);
		putchar('\n');
	}
	go_buildinfo_release(&bi);
	return 0;
}
