// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "lib/params.h"
#include "lib/parse_arg.h"

/* getopt_long values: options of the table from VAL_OPT, aliases after
 * them, the common options apart. */
enum { VAL_JSON = 0x100, VAL_VERBOSE, VAL_HELP, VAL_OPT = 0x200 };

#define MAX_OPTS 48

static size_t count_opts(const struct opt *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

/* getopt_long's tables for cmd: long options (and aliases) and optstring. */
static void build_getopt(const struct cmd *cmd, struct option *lo, char *shorts)
{
	size_t i, n = count_opts(cmd->opts), k = 0;
	char *s = shorts;

	*s++ = ':';
	for (i = 0; i < n && i < MAX_OPTS; i++) {
		const struct opt *o = &cmd->opts[i];
		int has = o->arg ? required_argument : no_argument;

		lo[k++] = (struct option){ o->name, has, NULL, VAL_OPT + (int)i };
		if (o->alias)
			lo[k++] = (struct option){ o->alias, has, NULL, VAL_OPT + (int)i };
		if (o->short_name) {
			*s++ = o->short_name;
			if (o->arg)
				*s++ = ':';
		}
	}
	lo[k++] = (struct option){ "json", no_argument, NULL, VAL_JSON };
	lo[k++] = (struct option){ "verbose", no_argument, NULL, VAL_VERBOSE };
	lo[k++] = (struct option){ "help", no_argument, NULL, VAL_HELP };
	lo[k] = (struct option){ 0 };
	strcpy(s, "jvh");
}

static int short_to_val(const struct cmd *cmd, int c)
{
	size_t i, n = count_opts(cmd->opts);

	if (c == 'j')
		return VAL_JSON;
	if (c == 'v')
		return VAL_VERBOSE;
	if (c == 'h')
		return VAL_HELP;
	for (i = 0; i < n; i++)
		if (cmd->opts[i].short_name == c)
			return VAL_OPT + (int)i;
	return c;
}

static int add_list(const struct opt *o, void *field, const char *arg)
{
	size_t max = o->max_count ? o->max_count : PARAMS_MAX_LIST;
	struct port_list *pl = field;
	struct str_list *sl = field;

	if ((o->kind == OPT_PORTS ? pl->n : sl->n) >= max) {
		pr_warn("too many --%s options (at most %zu)\n", o->name, max);
		return -EINVAL;
	}
	if (o->kind == OPT_STRS) {
		sl->v[sl->n++] = arg;
		return 0;
	}
	if (parse_port(arg, &pl->v[pl->n]))
		return -EINVAL;
	pl->n++;
	return 0;
}

/* One value into its field, by kind; what names it in messages: --NAME. */
static int store(const struct opt *o, void *cfg, const char *arg, const char *what)
{
	void *field = (char *)cfg + o->off;
	uint64_t v;

	switch (o->kind) {
	case OPT_FLAG:
		*(int *)field = 1;
		return 0;
	case OPT_U64:
	case OPT_U32:
		if (parse_u64(arg, what, (uint64_t)o->min, (uint64_t)o->max, &v))
			return -EINVAL;
		if (o->kind == OPT_U64)
			*(uint64_t *)field = v;
		else
			*(__u32 *)field = v;
		return 0;
	case OPT_SECONDS:
		return parse_seconds(arg, what, o->min, o->max, field) ? -EINVAL : 0;
	case OPT_PORT:
		return parse_port(arg, field) ? -EINVAL : 0;
	case OPT_PORTS:
	case OPT_STRS:
		return add_list(o, field, arg);
	case OPT_PROTO:
		return parse_proto(arg, field) ? -EINVAL : 0;
	case OPT_STR:
		*(const char **)field = arg;
		return 0;
	case OPT_FUNC:
		return o->parse(arg, field) ? -EINVAL : 0;
	}
	return -EINVAL;
}

static int operands(const struct cmd *cmd, int argc, char **argv, void *cfg)
{
	size_t i, n = count_opts(cmd->operands);
	char what[64];

	for (i = 0; i < n; i++) {
		const struct opt *o = &cmd->operands[i];

		if (optind >= argc) {
			if (o->flags & OPT_OPTIONAL)
				continue;
			pr_warn("%s%s%s needs %s; see 'portscope %s --help'\n", cmd->name,
				cmd->verb ? " " : "", cmd->verb ? cmd->verb : "", o->name, cmd->name);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "%s", o->arg ? o->arg : o->name);
		if (store(o, cfg, argv[optind++], what))
			return -EINVAL;
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* What getopt_long returned when it refused an argument. */
static int refused(int c, char **argv, const struct cmd *cmd)
{
	if (c == ':')
		pr_warn("option '%s' needs a value\n", argv[optind - 1]);
	else
		pr_warn("unknown option '%s'; see 'portscope %s --help'\n", argv[optind - 1], cmd->name);
	return -EINVAL;
}

static int given_twice(const struct opt *o, const char *as)
{
	pr_warn("option --%s given twice\n", as ? as : o->name);
	return -EINVAL;
}

int params_parse(const struct cmd *cmd, int argc, char **argv, void *cfg, struct common *c)
{
	struct option lo[2 * MAX_OPTS + 4];
	char shorts[2 * MAX_OPTS + 8], what[64];
	unsigned char seen[MAX_OPTS] = {};
	int v, idx;

	build_getopt(cmd, lo, shorts);
	optind = 0;	/* glibc: start over, for every command line */
	opterr = 0;
	while ((v = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		v = short_to_val(cmd, v);
		if (v == VAL_HELP)
			return 1;
		if (v == VAL_JSON) {
			c->json = 1;
			continue;
		}
		if (v == VAL_VERBOSE) {
			c->verbose++;
			continue;
		}
		if (v < VAL_OPT)
			return refused(v, argv, cmd);
		idx = v - VAL_OPT;
		if (cmd->opts[idx].arg && !(cmd->opts[idx].flags & OPT_REPEAT) &&
		    cmd->opts[idx].kind != OPT_PORTS && cmd->opts[idx].kind != OPT_STRS && seen[idx]++)
			return given_twice(&cmd->opts[idx], NULL);
		snprintf(what, sizeof(what), "--%s", cmd->opts[idx].name);
		if (store(&cmd->opts[idx], cfg, optarg, what))
			return -EINVAL;
	}
	if (c->json && !cmd->json) {
		pr_warn("'portscope %s' has no JSON output\n", cmd->name);
		return -EINVAL;
	}
	return operands(cmd, argc, argv, cfg);
}

/* Does option --name (or -c) of any form take a value? */
static int takes_value(const struct cmd *const *forms, size_t nf, const char *name, char c)
{
	size_t i, k;

	for (i = 0; i < nf; i++)
		for (k = 0; forms[i]->opts && forms[i]->opts[k].name; k++) {
			const struct opt *o = &forms[i]->opts[k];

			if ((name && (!strcmp(o->name, name) || (o->alias && !strcmp(o->alias, name)))) ||
			    (!name && c && o->short_name == c))
				return !!o->arg;
		}
	return 0;
}

/* Index in argv of the first operand (not an option or its value), or argc. */
static int first_operand(const struct cmd *const *forms, size_t nf, int argc, char **argv)
{
	char name[64];
	const char *a;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!strcmp(a, "--"))
			return i + 1;
		if (a[0] != '-' || !a[1])
			return i;
		if (a[1] == '-') {
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(a + 2, "="), a + 2);
			i += !strchr(a, '=') && takes_value(forms, nf, name, 0);
			continue;
		}
		for (a++; *a; a++)
			if (takes_value(forms, nf, NULL, *a)) {
				i += !a[1];	/* -p80 carries its value */
				break;
			}
	}
	return argc;
}

/* The form of argv[0] that argv names (its verb removed from argv), or NULL. */
static const struct cmd *select_form(const struct cmd *const *cmds, size_t n, int *argc, char **argv)
{
	const struct cmd *forms[8], *plain = NULL;
	size_t nf = 0, i;
	int at;

	for (i = 0; i < n && nf < 8; i++)
		if (!strcmp(cmds[i]->name, argv[0]))
			forms[nf++] = cmds[i];
	for (i = 0; i < nf; i++)
		if (!forms[i]->verb)
			plain = forms[i];
	if (nf <= 1)
		return nf ? forms[0] : NULL;
	at = first_operand(forms, nf, *argc, argv);
	for (i = 0; at < *argc && i < nf; i++)
		if (forms[i]->verb && !strcmp(forms[i]->verb, argv[at])) {
			memmove(&argv[at], &argv[at + 1], (*argc - at) * sizeof(*argv));
			(*argc)--;
			return forms[i];
		}
	return plain ? plain : forms[0];
}

/* -j, -v before the command; 0, or 1 when argv[i] is the command. */
static int leading_common(int argc, char **argv, int *i, struct common *c)
{
	for (*i = 1; *i < argc && argv[*i][0] == '-'; (*i)++) {
		const char *a = argv[*i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json"))
			c->json = 1;
		else if (!strcmp(a, "--verbose") || a[strspn(a + 1, "v") + 1] == 0)
			c->verbose += !strcmp(a, "--verbose") ? 1 : (int)strlen(a) - 1;
		else
			return 0;
	}
	return *i < argc;
}

int params_main(const struct cmd *const *cmds, size_t n, int argc, char **argv)
{
	struct common c = {};
	const struct cmd *cmd;
	void *cfg;
	int i, ret;

	log_init(0);
	if (!leading_common(argc, argv, &i, &c)) {
		if (i >= argc) {
			pr_warn("no command given; 'portscope help' lists them\n");
			return EXIT_USAGE;
		}
		/* --help, -h and --version are the commands help and version */
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			argv[i] = "help";
		else if (!strcmp(argv[i], "--version"))
			argv[i] = "version";
	}
	argc -= i;
	argv += i;
	cmd = select_form(cmds, n, &argc, argv);
	if (!cmd) {
		pr_warn("unknown command '%s'; 'portscope help' lists them\n", argv[0]);
		return EXIT_USAGE;
	}
	cfg = calloc(1, cmd->cfg_size ? cmd->cfg_size : 1);
	if (!cfg)
		return EXIT_FAIL;
	if (cmd->defaults)
		memcpy(cfg, cmd->defaults, cmd->cfg_size);
	ret = params_parse(cmd, argc, argv, cfg, &c);
	if (ret == 1) {
		params_help(stdout, cmds, n, cmd->name);
		ret = EXIT_OK;
	} else if (ret) {
		ret = EXIT_USAGE;
	} else {
		log_init(c.verbose);
		ret = cmd->run(cfg, &c);
	}
	free(cfg);
	return ret;
}
