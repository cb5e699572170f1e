/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The command line, declared as tables (after xdp-tools' params.h): each
 * command is an options struct, its defaults, a table of options and
 * operands, and a run function. One dispatcher parses every command line:
 * values are checked by type and range, an option given twice is refused
 * unless it repeats, stray arguments are refused, --help is printed from
 * the table, and so are the man page's option lists and the bash
 * completion (`portscope docs`).
 *
 * Options that mean one thing on every command: -j/--json, -v/--verbose,
 * -h/--help, and every short letter (PARAMS_SHORT_LETTERS).
 */
#ifndef PS_PARAMS_H
#define PS_PARAMS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

enum opt_kind {
	OPT_FLAG,	/* int: 1 when given */
	OPT_U64,	/* uint64_t within [min, max] */
	OPT_U32,	/* __u32 within [min, max] */
	OPT_SECONDS,	/* double within [min, max]: "0.5", "2s", "250ms" */
	OPT_PORT,	/* __u16, 1..65535 */
	OPT_PORTS,	/* struct port_list: repeatable */
	OPT_PROTO,	/* __u8: tcp or udp */
	OPT_STR,	/* const char * */
	OPT_STRS,	/* struct str_list: repeatable */
	OPT_FUNC,	/* o->parse(arg, field): 0 or -EINVAL after one line */
};

#define OPT_REPEAT 1u	/* may be given more than once (OPT_FUNC lists) */
#define OPT_OPTIONAL 2u	/* an operand that may be left out */

#define PARAMS_MAX_LIST 64

struct port_list {
	__u16 v[PARAMS_MAX_LIST];
	size_t n;
};

struct str_list {
	const char *v[PARAMS_MAX_LIST];
	size_t n;
};

struct opt {
	const char *name;	/* long name (operands: the metavariable) */
	char short_name;	/* 0: none */
	enum opt_kind kind;
	size_t off;		/* of the field in the command's options struct */
	const char *arg;	/* metavariable of the value; NULL: a flag */
	const char *help;	/* lines of help, '\n' between them */
	double min, max;	/* ranges of OPT_U64/U32/SECONDS */
	int (*parse)(const char *arg, void *field);
	unsigned flags;
	const char *values;	/* completion: words, "@iface" or "@file" */
	const char *alias;	/* an older long spelling, still accepted */
	size_t max_count;	/* OPT_PORTS/OPT_STRS: at most (0: PARAMS_MAX_LIST) */
};

/* Every option's fields, for tables: OPT_DEF(name, 'x', KIND, struct, field, ...) */
#define OPTF(st, field) offsetof(struct st, field)

/* Global options, before or after the command. */
struct common {
	int json;
	int verbose;
};

struct cmd {
	const char *name;	/* "steer" */
	const char *verb;	/* NULL, or "off", "status" … */
	const char *summary;	/* one line for 'portscope help' */
	const char *about;	/* what it does, for --help and the man page */
	const char *examples;	/* command lines, '\n' between them */
	const char *notes;	/* older spellings that still work, or NULL */
	const struct opt *opts;	/* ends with { NULL } */
	const struct opt *operands;
	size_t cfg_size;
	const void *defaults;
	int (*run)(void *cfg, const struct common *c);
	int json;		/* has JSON output (-j) */
};

/* Parse argv (argv[0] is the command's name, verb removed) into cfg,
 * already holding the defaults. 0, 1 (--help was printed: exit 0), or
 * -EINVAL after one line on stderr. */
int params_parse(const struct cmd *cmd, int argc, char **argv, void *cfg, struct common *c);

/* Dispatch: 'portscope [-j] [-v] COMMAND [VERB] ...'. An exit status. */
int params_main(const struct cmd *const *cmds, size_t n, int argc, char **argv);

/* Help for every form of a command (all verbs of its noun). */
void params_help(FILE *f, const struct cmd *const *cmds, size_t n, const char *name);
/* The man page's SYNOPSIS and COMMANDS sections (roff), and the bash
 * completion script. */
void params_man_synopsis(FILE *f, const struct cmd *const *cmds, size_t n);
void params_man_commands(FILE *f, const struct cmd *const *cmds, size_t n);
void params_bash_completion(FILE *f, const struct cmd *const *cmds, size_t n);

#endif
