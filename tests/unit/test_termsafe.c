/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/termsafe.h"

/* util/termsafe: target strings on a terminal. */
static char *out(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	termsafe_write(f, s, n);
	fclose(f);
	return buf;
}

static void test_controls_become_question_marks(void **state)
{
	static const char evil[] = "a\x1b[2Jb\x07\x7f" "c\xc2\x9b" "d\xe2\x80\xae" "e\xff" "f\xc3\xa9";
	char *t = out(evil, sizeof(evil) - 1);
	(void)state;
	/* ESC, BEL, DEL, C1 CSI, RLO override, a stray byte: all "?"; é stays. */
	assert_string_equal(t, "a?[2Jb??c?d?e?f\xc3\xa9");
	assert_int_equal(termsafe_cols(evil, sizeof(evil) - 1), strlen("a?[2Jb??c?d?e?f") + 1);
	free(t);
}

static void test_cols_cut(void **state)
{
	char *buf = NULL;
	size_t len = 0, w;
	FILE *f = open_memstream(&buf, &len);
	(void)state;
	w = termsafe_write_cols(f, "0123456789", 6);
	fclose(f);
	assert_int_equal(w, 6);
	assert_string_equal(buf, "012...");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_become_question_marks),
		cmocka_unit_test(test_cols_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
