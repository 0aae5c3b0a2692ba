/* SPDX-License-Identifier: MIT */
/* The rules file parser: the built-in rules, user rules that add or
 * replace, and every malformed input giving an error with file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diagnose/rules.h"

static const char *const contract_ids[] = {
	"http-server-idle-conn", "thrift-server-idle-conn", "grpc-server-idle-conn", "http-client-conn-leak",
	"goroutine-blocked-chan", "goroutine-blocked-sync", "goroutine-leak-proven", "heap-growth",
	"rss-held-by-madv-free", "heap-idle-not-released", "rss-outside-go-heap", "thp-inflation", "cgroup-near-limit",
};

static void test_builtin_rules_are_the_contract(void **state)
{
	struct ruleset rs;
	struct gd_errbuf eb = { "" };
	(void)state;
	ruleset_init(&rs);
	assert_int_equal(ruleset_load_builtin(&rs, &eb), GD_OK);
	assert_int_equal(rs.n, sizeof(contract_ids) / sizeof(contract_ids[0]));
	for (size_t i = 0; i < rs.n; i++) {
		const struct rule *r = ruleset_find(&rs, contract_ids[i]);
		assert_non_null(r);
		assert_non_null(r->summary);
		assert_non_null(r->fix);
		assert_true(r->nrefs >= 1);
	}
	{
		const struct rule *r = ruleset_find(&rs, "http-server-idle-conn");
		assert_int_equal(r->kind, RULE_GOROUTINES);
		assert_int_equal(r->severity, SEV_CRITICAL);
		assert_int_equal(r->sockets, SOCKETS_INBOUND);
		assert_string_equal(r->states[0], "IO wait");
		assert_non_null(strstr(r->snippet, "IdleTimeout"));
		assert_int_equal(regexec(&r->frame, "net/http.(*conn).serve", 0, NULL, 0), 0);
		assert_int_not_equal(regexec(&r->frame, "net/http.(*conn).serveX", 0, NULL, 0), 0);
		r = ruleset_find(&rs, "grpc-server-idle-conn");
		assert_int_equal(r->per_connection, 3);
		assert_int_equal(regexec(&r->frame, "google.golang.org/grpc/internal/transport.(*loopyWriter).run", 0, NULL, 0), 0);
	}
	ruleset_release(&rs);
}

static void test_user_rule_adds_and_replaces(void **state)
{
	struct ruleset rs;
	struct gd_errbuf eb = { "" };
	const char *user =
		"# my framework\n"
		"[rule myrpc-idle-conn]\n"
		"kind = goroutines\n"
		"severity = critical\n"
		"frame = ^example\\.com/rpc\\.\\(\\*Server\\)\\.serveConn$\n"
		"state = IO wait, select\n"
		"per-connection = 2\n"
		"sockets = inbound\n"
		"min-goroutines = 4\n"
		"summary = {goroutines} goroutines of myrpc hold idle connections\n"
		"fix = set rpc.Server.IdleTimeout\n"
		"snippet <<EOF\n"
		"srv.IdleTimeout = time.Minute\n"
		"EOF\n"
		"ref = https://example.com/rpc\n"
		"\n"
		"[rule heap-growth]\n"
		"kind = heap-growth\n"
		"severity = warning\n"
		"min-bytes = 1MiB\n"
		"min-ratio = 0.5\n"
		"summary = tuned: {delta}\n";
	(void)state;
	ruleset_init(&rs);
	assert_int_equal(ruleset_load_builtin(&rs, &eb), GD_OK);
	assert_int_equal(ruleset_parse(&rs, user, strlen(user), "user.rules", &eb), GD_OK);
	assert_int_equal(rs.n, sizeof(contract_ids) / sizeof(contract_ids[0]) + 1);
	{
		const struct rule *r = ruleset_find(&rs, "myrpc-idle-conn");
		assert_non_null(r);
		assert_int_equal(r->nstates, 2);
		assert_string_equal(r->states[1], "select");
		assert_int_equal(r->per_connection, 2);
		assert_int_equal(r->min_goroutines, 4);
		assert_string_equal(r->snippet, "srv.IdleTimeout = time.Minute\n");
		assert_string_equal(r->origin, "user.rules");
		r = ruleset_find(&rs, "heap-growth");
		assert_int_equal(r->severity, SEV_WARNING);
		assert_int_equal(r->min_bytes, 1 << 20);
		assert_string_equal(r->summary, "tuned: {delta}");
	}
	ruleset_release(&rs);
}

static void test_bad_rules_name_file_and_line(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "kind = goroutines\n", "x.rules:1: a key outside any [rule ID] section" },
		{ "[rule a]\nkind = nope\n", "x.rules:2: unknown kind 'nope'" },
		{ "[rule a]\nframe = (unclosed\n", "x.rules:2: bad regular expression" },
		{ "[rule a]\nbogus = 1\n", "x.rules:2: unknown key 'bogus'" },
		{ "[rule Bad Id]\n", "x.rules:1: bad rule id" },
		{ "[rule a]\nsummary = s\nsnippet <<END\nnever closed\n", "here-document not closed" },
		{ "[rule a]\nkind = goroutines\nsummary = s\n", "kind goroutines needs a frame pattern" },
		{ "[rule a]\nper-connection = 0\n", "per-connection must be 1-64" },
		{ "[rule a]\nmin-goroutines = lots\n", "expected a number" },
		{ "[rule a]\nseverity = fatal\n", "severity must be" },
		{ "[rule a]\nframe = x\n", "rule a: no summary" },
		{ "[rule a\n", "expected [rule ID]" },
		/* Shapes that make glibc's regcomp take gigabytes (found by fuzzing). */
		{ "[rule a]\nframe = h+++++++++++++++++++++++++++++++++\n", "too many quantifiers in a row" },
		{ "[rule a]\nframe = ((a{99}){99}){99}\n", "too many repetition bounds" },
		{ "[rule a]\nframe = a{1000}\n", "repetition bound over 100" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ruleset rs;
		struct gd_errbuf eb = { "" };
		ruleset_init(&rs);
		assert_int_equal(ruleset_parse(&rs, cases[i].text, strlen(cases[i].text), "x.rules", &eb), GD_EFORMAT);
		if (!strstr(eb.msg, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, eb.msg, cases[i].want);
		ruleset_release(&rs);
	}
	{
		struct ruleset rs;
		struct gd_errbuf eb = { "" };
		char bin[8] = "[rule\0a";
		ruleset_init(&rs);
		assert_int_equal(ruleset_parse(&rs, bin, sizeof(bin), "b.rules", &eb), GD_EFORMAT);
		assert_int_equal(ruleset_load_file(&rs, "/nonexistent/x.rules", &eb), GD_ENOENT);
		ruleset_release(&rs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_rules_are_the_contract),
		cmocka_unit_test(test_user_rule_adds_and_replaces),
		cmocka_unit_test(test_bad_rules_name_file_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
