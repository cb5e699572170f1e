// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portscope: show how a port is demultiplexed, and steer it. The commands. */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/log.h"

#define PORTSCOPE_VERSION "0.2.0"

static const struct cmd cmd_help, cmd_version, cmd_docs;

/* In the order 'portscope help' lists them. */
static const struct cmd *const commands[] = {
	&cmd_top, &cmd_flows, &cmd_metrics, &cmd_attach, &cmd_detach, &cmd_status,
	&cmd_cleanup, &cmd_groups, &cmd_steer, &cmd_steer_off, &cmd_steer_status,
	&cmd_conflicts, &cmd_ephemeral, &cmd_replay, &cmd_demo, &cmd_help, &cmd_version, &cmd_docs,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: portscope [-j] [-v] COMMAND [options]\n\nCommands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		if (!commands[i]->verb)
			fprintf(f, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n'portscope COMMAND --help' describes a command's options; -j (JSON output),\n"
	      "-v (more diagnostics) and -h work on every command.\n"
	      "\n"
	      "Examples:\n"
	      "  sudo portscope demo\n"
	      "  sudo portscope top -i eth0\n"
	      "  sudo portscope flows -i eth0 --port 443\n"
	      "  sudo portscope metrics --listen 127.0.0.1:9435\n"
	      "  sudo portscope replay capture.pcap --flows\n"
	      "  sudo portscope groups --port 8080\n"
	      "  sudo portscope steer 8080 --policy weighted --weight 4242=3 --weight 4243=1\n"
	      "  sudo portscope conflicts --port 80\n"
	      "  sudo portscope ephemeral --to 10.1.2.3:443\n",
	      f);
}

struct help_cfg {
	const char *command;
};

static int run_help(void *cfg, const struct common *c)
{
	const struct help_cfg *h = cfg;
	size_t i;

	(void)c;
	if (!h->command) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, h->command)) {
			params_help(stdout, commands, NCOMMANDS, h->command);
			return EXIT_OK;
		}
	pr_warn("unknown command '%s'; 'portscope help' lists them\n", h->command);
	return EXIT_USAGE;
}

static int run_version(void *cfg, const struct common *c)
{
	(void)cfg, (void)c;
	printf("portscope %s\n", PORTSCOPE_VERSION);
	return EXIT_OK;
}

struct docs_cfg {
	const char *what;
};

static int run_docs(void *cfg, const struct common *c)
{
	const struct docs_cfg *d = cfg;

	(void)c;
	if (!strcmp(d->what, "man-synopsis"))
		params_man_synopsis(stdout, commands, NCOMMANDS);
	else if (!strcmp(d->what, "man-commands"))
		params_man_commands(stdout, commands, NCOMMANDS);
	else if (!strcmp(d->what, "bash-completion"))
		params_bash_completion(stdout, commands, NCOMMANDS);
	else {
		pr_warn("invalid docs '%s': use man-synopsis, man-commands or bash-completion\n", d->what);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const struct opt help_operands[] = {
	{ "COMMAND", 0, OPT_STR, OPTF(help_cfg, command), "command", .flags = OPT_OPTIONAL },
	{ NULL },
};

static const struct opt docs_operands[] = {
	{ "man-synopsis|man-commands|bash-completion", 0, OPT_STR, OPTF(docs_cfg, what), "what" },
	{ NULL },
};

static const struct cmd cmd_help = {
	.name = "help",
	.summary = "this help, or a command's ('help steer')",
	.about = "The commands, or one command's forms and options.",
	.examples = "portscope help\nportscope help steer",
	.operands = help_operands,
	.cfg_size = sizeof(struct help_cfg),
	.run = run_help,
};

static const struct cmd cmd_version = {
	.name = "version",
	.summary = "print the version",
	.about = "Print portscope's version.",
	.examples = "portscope version",
	.run = run_version,
};

static const struct cmd cmd_docs = {
	.name = "docs",
	.summary = "the man page's command reference, or the bash completion",
	.about = "Print the man page's SYNOPSIS and COMMANDS sections (roff) or the bash\n"
		 "completion script, both generated from the same option tables as this help\n"
		 "(the build fills docs/portscope.8.in with them and installs the completion).",
	.examples = "portscope docs bash-completion > /etc/bash_completion.d/portscope",
	.operands = docs_operands,
	.cfg_size = sizeof(struct docs_cfg),
	.run = run_docs,
};

int main(int argc, char **argv)
{
	return params_main(commands, NCOMMANDS, argc, argv);
}
