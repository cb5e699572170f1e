// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one command-line parser, on a toy command table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "lib/log.h"
#include "lib/params.h"

struct toy {
	__u16 port;
	struct port_list ports;
	double interval;
	int all;
	const char *name;
};

static const struct toy defaults = { .interval = 1 };
static const char *ran;

static int run_plain(void *cfg, const struct common *c)
{
	(void)cfg, (void)c;
	ran = "plain";
	return 0;
}

static int run_off(void *cfg, const struct common *c)
{
	(void)c;
	ran = ((struct toy *)cfg)->port == 80 ? "off 80" : "off ?";
	return 0;
}

static const struct opt toy_opts[] = {
	{ "ports", 'p', OPT_PORTS, OPTF(toy, ports), "P", "ports" },
	{ "interval", 'd', OPT_SECONDS, OPTF(toy, interval), "S", "seconds", .min = 0.01, .max = 60 },
	{ "all", 'a', OPT_FLAG, OPTF(toy, all), NULL, "all", .alias = "all-ports" },
	{ "name", 0, OPT_STR, OPTF(toy, name), "N", "a name" },
	{ NULL },
};

static const struct opt port_operand[] = { { "PORT", 0, OPT_PORT, OPTF(toy, port), "port" }, { NULL } };

static const struct cmd toy = { .name = "toy", .about = "", .opts = toy_opts, .operands = port_operand,
				.cfg_size = sizeof(struct toy), .defaults = &defaults, .run = run_plain,
				.json = 1 };
static const struct cmd toy_off = { .name = "toy", .verb = "off", .about = "", .opts = toy_opts,
				    .operands = port_operand, .cfg_size = sizeof(struct toy),
				    .defaults = &defaults, .run = run_off };
static const struct cmd *const cmds[] = { &toy, &toy_off };

/* Parse a NULL-terminated command line for toy. */
static int parse(const struct cmd *c, struct toy *t, struct common *co, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	*t = defaults;
	memset(co, 0, sizeof(*co));
	return params_parse(c, argc, argv, t, co);
}

#define ARGV(...) ((char *[]){ "toy", __VA_ARGS__, NULL })

static void test_values(void **state)
{
	struct common co;
	struct toy t;

	(void)state;
	assert_int_equal(parse(&toy, &t, &co, ARGV("-p", "1", "--ports", "2", "--interval", "250ms", "80")), 0);
	assert_int_equal(t.ports.n, 2);
	assert_int_equal(t.ports.v[1], 2);
	assert_true(t.interval > 0.249 && t.interval < 0.251);
	assert_int_equal(t.port, 80);
	assert_int_equal(parse(&toy, &t, &co, ARGV("--all-ports", "-j", "-vv", "80")), 0);
	assert_int_equal(t.all, 1);
	assert_int_equal(co.json, 1);
	assert_int_equal(co.verbose, 2);
	assert_int_equal(parse(&toy, &t, &co, ARGV("--help")), 1);
}

static void test_refused(void **state)
{
	struct common co;
	struct toy t;

	(void)state;
	assert_int_equal(parse(&toy, &t, &co, ARGV("--name", "a", "--name", "b", "80")), -EINVAL);
	assert_int_equal(parse(&toy, &t, &co, ARGV("--interval", "0", "80")), -EINVAL);
	assert_int_equal(parse(&toy, &t, &co, ARGV("--bogus", "80")), -EINVAL);
	assert_int_equal(parse(&toy, &t, &co, ARGV("80", "81")), -EINVAL);	/* stray */
	assert_int_equal(parse(&toy, &t, &co, ARGV("--name")), -EINVAL);	/* no value */
	assert_int_equal(parse(&toy, &t, &co, ARGV("-a")), -EINVAL);		/* no PORT */
	assert_int_equal(parse(&toy, &t, &co, ARGV("0")), -EINVAL);		/* bad PORT */
	assert_int_equal(parse(&toy_off, &t, &co, ARGV("-j", "80")), -EINVAL);	/* no JSON */
}

static void test_verbs(void **state)
{
	static const struct {
		char *argv[8];
		const char *ran;
		int ret;
	} t[] = {
		{ { "portscope", "toy", "80" }, "plain", 0 },
		{ { "portscope", "toy", "off", "80" }, "off 80", 0 },
		{ { "portscope", "toy", "--ports", "7", "off", "80" }, "off 80", 0 },
		{ { "portscope", "toy", "-d", "1", "off", "80" }, "off 80", 0 },
		{ { "portscope", "toy", "-d1", "off", "80" }, "off 80", 0 },
		{ { "portscope", "-v", "toy", "80" }, "plain", 0 },
		{ { "portscope", "toy", "off" }, NULL, 2 },
		{ { "portscope", "nothing" }, NULL, 2 },
		{ { "portscope" }, NULL, 2 },
	};
	char *argv[8];
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (argc = 0; t[i].argv[argc]; argc++)
			argv[argc] = t[i].argv[argc];	/* the dispatcher takes the verb out */
		argv[argc] = NULL;
		ran = NULL;
		assert_int_equal(params_main(cmds, 2, argc, argv), t[i].ret);
		if (t[i].ran)
			assert_string_equal(ran, t[i].ran);
		else
			assert_null(ran);
	}
	log_init(-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_verbs),
	};

	log_init(-1);
	return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
