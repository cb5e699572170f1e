// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Strict number parsing: whole string, digits only, range-checked. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include "lib/parse_arg.h"

static void test_ports(void **state)
{
	static const struct {
		const char *in;
		int err;
		uint16_t out;
	} t[] = {
		{ "1", 0, 1 }, { "80", 0, 80 }, { "65535", 0, 65535 }, { "08080", 0, 8080 },
		{ "0", -ERANGE }, { "65536", -ERANGE }, { "99999999999999999999", -ERANGE },
		{ "-1", -EINVAL }, { "+80", -EINVAL }, { "abc", -EINVAL }, { "", -EINVAL },
		{ "80x", -EINVAL }, { " 80", -EINVAL }, { "80 ", -EINVAL }, { "0x50", -EINVAL },
	};
	size_t i;
	uint16_t v;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 0;
		assert_int_equal(parse_port(t[i].in, &v), t[i].err);
		if (!t[i].err)
			assert_int_equal(v, t[i].out);
	}
}

static void test_u64_bounds(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_u64("18446744073709551615", "x", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", "x", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("5", "x", 6, 10, &v), -ERANGE);
	assert_int_equal(parse_u64("11", "x", 6, 10, &v), -ERANGE);
	assert_int_equal(parse_u64(NULL, "x", 0, 1, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_u64_bounds),
	};

	return cmocka_run_group_tests_name("parse_arg", tests, NULL, NULL);
}
