// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Formatting of addresses, endpoints, flags; ordering of rows. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "view/model.h"
#include "lib/fmt.h"
#include "view/portview.h"

static void test_endpoints(void **state)
{
	__u32 a[4] = {};
	char buf[64];

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", a);
	assert_string_equal(fmt_endpoint(a, 4, 80, buf, sizeof(buf)), "192.0.2.1:80");
	inet_pton(AF_INET6, "2001:db8::1", a);
	assert_string_equal(fmt_endpoint(a, 6, 443, buf, sizeof(buf)), "[2001:db8::1]:443");
	inet_pton(AF_INET6, "::ffff:10.1.2.3", a);
	assert_string_equal(fmt_addr(a, 6, buf, sizeof(buf)), "::ffff:10.1.2.3");
	memset(a, 0xff, sizeof(a));
	assert_string_equal(fmt_endpoint(a, 6, 65535, buf, sizeof(buf)),
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_flags(void **state)
{
	char b[9];

	(void)state;
	assert_string_equal(fmt_tcp_flags(0x02, b), "S");
	assert_string_equal(fmt_tcp_flags(0x12, b), "S.");
	assert_string_equal(fmt_tcp_flags(0x11, b), "F.");
	assert_string_equal(fmt_tcp_flags(0x04, b), "R");
	assert_string_equal(fmt_tcp_flags(0xff, b), "FSRP.UEW");
	assert_string_equal(fmt_tcp_flags(0, b), "");
}

static void test_sort(void **state)
{
	struct port_row r[4] = {
		{ { 443, 6 }, { .packets = 5, .bytes = 900 } },
		{ { 80, 17 }, { .packets = 9, .bytes = 100 } },
		{ { 80, 6 }, { .packets = 5, .bytes = 500 } },
		{ { 53, 17 }, { .packets = 1, .bytes = 5000 } },
	};
	enum sort_key k;

	(void)state;
	sort_ports(r, 4, SORT_PACKETS);
	assert_int_equal(r[0].key.port, 80);
	assert_int_equal(r[0].key.proto, 17);
	assert_int_equal(r[1].key.port, 80);	/* ties: by port, then proto */
	assert_int_equal(r[2].key.port, 443);
	sort_ports(r, 4, SORT_BYTES);
	assert_int_equal(r[0].key.port, 53);
	sort_ports(r, 4, SORT_PORT);
	assert_int_equal(r[0].key.port, 53);
	assert_int_equal(r[3].key.port, 443);
	assert_int_equal(parse_sort_key("bytes", &k), 0);
	assert_int_equal(k, SORT_BYTES);
	assert_int_equal(parse_sort_key("Bytes", &k), -1);
}

static void test_reason_names(void **state)
{
	int r;

	(void)state;
	for (r = 0; r < PS_R_MAX; r++)
		assert_true(strlen(reason_name(r)) > 2);	/* every reason is named */
	assert_string_equal(reason_name(PS_R_PARSED_OK), "parsed_ok");
	assert_string_equal(reason_name(PS_R_FLOW_INSERT_FAIL), "flow_insert_failed");
	assert_true(reason_is_class(PS_R_OTHER_L4));
	assert_false(reason_is_class(PS_R_FLOW_NEW));
}

/* Counters near 2^64: a wrap is a small modular step, a reset counts from 0. */
static void test_counter_wrap(void **state)
{
	const __u64 top = ~0ULL;

	(void)state;
	assert_true(counter_rate(100, 40, 2) == 30);
	assert_true(counter_rate(top, top - 9, 1) == 9);		/* up to the edge */
	assert_true(counter_rate(4, top - 5, 1) == 10);		/* across it: 6 + 4 */
	assert_true(counter_rate(0, top, 0.5) == 2);		/* exactly one step over */
	assert_true(counter_rate((1ULL << 62), top - 1, 1) == (double)(1ULL << 62) + 2);
	assert_true(counter_rate(7, 1000, 1) == 7);		/* reset (new maps) */
	assert_true(counter_rate(7, 1ULL << 63, 1) == 7 + (double)(1ULL << 63)); /* top half: wrap */
	assert_true(counter_rate(1ULL << 63, (1ULL << 63) + 1, 1) == (double)(1ULL << 63)); /* reset */
	assert_true(counter_rate(5, 1, 0) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_counter_wrap),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
