// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one JSON writer: commas, nesting, escaping of every string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "lib/json_writer.h"

/* Run fn on a writer over a memory stream; returns what it wrote. */
static char *written(void (*fn)(json_writer_t *w))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer_t w;

	jsonw_init(&w, f);
	fn(&w);
	fclose(f);
	return buf;
}

static void nested(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "proto", "tcp");
	jsonw_uint_field(w, "port", 80);
	jsonw_name(w, "list");
	jsonw_start_array(w);
	jsonw_int(w, -1);
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_null(w);
	jsonw_end_array(w);
	jsonw_bool_field(w, "ok", 1);
	jsonw_float_field(w, "r", "%.1f", 2.25);
	jsonw_float_field(w, "nan", "%.1f", 0.0 / 0.0);
	jsonw_end_object(w);
	jsonw_newline(w);
}

static void test_nesting(void **state)
{
	char *s = written(nested);

	(void)state;
	assert_string_equal(s, "{\"proto\":\"tcp\",\"port\":80,\"list\":[-1,{},null],\"ok\":true,"
			       "\"r\":2.2,\"nan\":null}\n");
	free(s);
}

static void lines(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_newline(w);
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_newline(w);
}

static void test_json_lines(void **state)
{
	char *s = written(lines);

	(void)state;
	assert_string_equal(s, "{}\n{}\n");	/* no comma between documents */
	free(s);
}

static void test_escaping(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "tab\tnl\n", "\"tab\\u0009nl\\u000a\"" },
		{ "\x7f", "\"\\u007f\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },	/* valid UTF-8 kept */
		{ "bad\xff\xc3", "\"bad\\u00ff\\u00c3\"" },	/* stray bytes as Latin-1 */
		{ "eth\"0", "\"eth\\\"0\"" },		/* the kernel takes '"' in a device name */
	};
	size_t i, len;
	char *buf;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf = NULL;
		f = open_memstream(&buf, &len);
		json_escape(f, t[i].in);
		fclose(f);
		assert_string_equal(buf, t[i].out);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_escaping),
	};

	return cmocka_run_group_tests_name("json_writer", tests, NULL, NULL);
}
