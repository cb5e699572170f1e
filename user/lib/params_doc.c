// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Help, the man page's command reference and the bash completion, all
 * printed from the command tables: what they list is what the parser takes. */
#include <string.h>
#include "lib/params.h"

static const struct opt common_help[] = {
	{ "json", 'j', OPT_FLAG, 0, NULL, "JSON output: one object per line" },
	{ "verbose", 'v', OPT_FLAG, 0, NULL, "more diagnostics (-vv: libbpf's too)" },
	{ "help", 'h', OPT_FLAG, 0, NULL, "this help" },
	{ NULL },
};

/* "steer off PORT [options]" */
static void synopsis(FILE *f, const struct cmd *c)
{
	const struct opt *o;

	fprintf(f, "portscope %s%s%s", c->name, c->verb ? " " : "", c->verb ? c->verb : "");
	for (o = c->operands; o && o->name; o++)
		fprintf(f, (o->flags & OPT_OPTIONAL) ? " [%s]" : " %s", o->name);
	fputs(" [options]", f);
}

/* Lines of s, each after `indent` (the first after `first`). */
static void lines(FILE *f, const char *s, const char *first, const char *indent)
{
	const char *p = s, *nl;

	fputs(first, f);
	while ((nl = strchr(p, '\n'))) {
		fprintf(f, "%.*s\n%s", (int)(nl - p), p, indent);
		p = nl + 1;
	}
	fprintf(f, "%s\n", p);
}

static void option_lines(FILE *f, const struct opt *o)
{
	char head[64];

	for (; o && o->name; o++) {
		snprintf(head, sizeof(head), "  %c%c%c --%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "%-26s", head);
		if (strlen(head) >= 26)
			fprintf(f, "\n%-26s", "");
		lines(f, o->help, "", "                          ");
	}
}

static size_t forms_of(const struct cmd *const *cmds, size_t n, const char *name,
		       const struct cmd **out)
{
	size_t i, k = 0;

	for (i = 0; i < n && k < 8; i++)
		if (!strcmp(cmds[i]->name, name))
			out[k++] = cmds[i];
	return k;
}

void params_help(FILE *f, const struct cmd *const *cmds, size_t n, const char *name)
{
	const struct cmd *forms[8];
	size_t nf = forms_of(cmds, n, name, forms), i;

	for (i = 0; i < nf; i++) {
		fputs(i ? "       " : "Usage: ", f);
		synopsis(f, forms[i]);
		fputc('\n', f);
	}
	for (i = 0; i < nf; i++) {
		fputc('\n', f);
		if (forms[i]->verb)
			fprintf(f, "portscope %s %s:\n", forms[i]->name, forms[i]->verb);
		lines(f, forms[i]->about, "", "");
		if (forms[i]->opts && forms[i]->opts->name) {
			fputs(nf > 1 && forms[i]->verb ? "Options of this form:\n" : "\nOptions:\n", f);
			option_lines(f, forms[i]->opts);
		}
	}
	fputs("\nCommon options:\n", f);
	option_lines(f, forms[0]->json ? common_help : common_help + 1);
	for (i = 0; i < nf; i++)
		if (forms[i]->notes)
			lines(f, forms[i]->notes, "\nNote: ", "      ");
	fputs("\nExamples:\n", f);
	for (i = 0; i < nf; i++)
		if (forms[i]->examples)
			lines(f, forms[i]->examples, "  ", "  ");
}

/* roff: a dash is \-, a backslash \e; paragraphs and indented lines kept. */
static void roff(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '\n' && s[1] == '\n')
			fputs("\n.PP", f);	/* a blank line: a new paragraph */
		else if (*s == '\n' && s[1] == ' ')
			fputs("\n.br\n", f);	/* an indented line stays a line */
		else if (*s == '\n')
			fputs("\n", f);	/* roff fills the rest */
		else
			fputc(*s, f);
	}
}

static void man_options(FILE *f, const struct opt *o)
{
	for (; o && o->name; o++) {
		fputs(".TP\n.B ", f);
		if (o->short_name)
			fprintf(f, "\\-%c\\fR, \\fB", o->short_name);
		fputs("\\-\\-", f);
		roff(f, o->name);
		if (o->arg) {
			fputs(" \\fI", f);
			roff(f, o->arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff(f, o->help);
		fputc('\n', f);
	}
}

void params_man_synopsis(FILE *f, const struct cmd *const *cmds, size_t n)
{
	size_t i;

	fputs(".SH SYNOPSIS\n", f);
	for (i = 0; i < n; i++) {
		fputs(".B ", f);
		synopsis(f, cmds[i]);
		fputs("\n.br\n", f);
	}
}

void params_man_commands(FILE *f, const struct cmd *const *cmds, size_t n)
{
	size_t i;

	fputs(".SH COMMANDS\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, ".SS %s%s%s\n", cmds[i]->name, cmds[i]->verb ? " " : "",
			cmds[i]->verb ? cmds[i]->verb : "");
		fputs(".B ", f);
		synopsis(f, cmds[i]);
		fputs("\n.PP\n", f);
		roff(f, cmds[i]->about);
		fputc('\n', f);
		if (cmds[i]->opts && cmds[i]->opts->name) {
			fputs(".PP\nOptions:\n", f);
			man_options(f, cmds[i]->opts);
		}
		if (cmds[i]->json)
			fputs(".PP\n\\-j, \\-\\-json: JSON output, one object per line.\n", f);
	}
}

static void bash_values(FILE *f, const struct cmd *const *cmds, size_t n)
{
	const struct opt *o;
	size_t i;

	fputs("\tcase $cmd:$prev in\n", f);
	for (i = 0; i < n; i++)
		for (o = cmds[i]->opts; o && o->name; o++) {
			if (!o->values)
				continue;
			fprintf(f, "\t%s:--%s", cmds[i]->name, o->name);
			if (o->short_name)
				fprintf(f, " | %s:-%c", cmds[i]->name, o->short_name);
			if (!strcmp(o->values, "@iface"))
				fputs(") COMPREPLY=($(compgen -W \"$(ls /sys/class/net 2>/dev/null)\" -- \"$cur\")); return ;;\n", f);
			else if (!strcmp(o->values, "@file"))
				fputs(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", f);
			else if (!strcmp(o->values, "@netns"))	/* names; paths and pids as files */
				fputs(") COMPREPLY=($(compgen -W \"$(ls /run/netns /run/docker/netns 2>/dev/null)\" -- \"$cur\")"
				      " $(compgen -f -- \"$cur\")); return ;;\n", f);
			else
				fprintf(f, ") COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", o->values);
		}
	fputs("\tesac\n", f);
}

static void bash_options(FILE *f, const struct cmd *const *cmds, size_t n)
{
	const struct cmd *forms[8];
	const struct opt *o;
	size_t i, k, nf;

	fputs("\tcase $cmd in\n", f);
	for (i = 0; i < n; i++) {
		if (i && !strcmp(cmds[i - 1]->name, cmds[i]->name))
			continue;
		nf = forms_of(cmds, n, cmds[i]->name, forms);
		fprintf(f, "\t%s) opts=\"", cmds[i]->name);
		for (k = 0; k < nf; k++)
			if (forms[k]->verb)
				fprintf(f, "%s ", forms[k]->verb);
		for (k = 0; k < nf; k++)
			for (o = forms[k]->opts; o && o->name; o++)
				fprintf(f, "--%s ", o->name);
		fprintf(f, "%s--verbose --help\" ;;\n", forms[0]->json ? "--json " : "");
	}
	fputs("\tesac\n", f);
}

void params_bash_completion(FILE *f, const struct cmd *const *cmds, size_t n)
{
	size_t i;

	fputs("# bash completion for portscope(8), generated by 'portscope docs bash-completion'\n"
	      "_portscope()\n{\n\tlocal cur prev cmd opts commands=\"", f);
	for (i = 0; i < n; i++)
		if (!i || strcmp(cmds[i - 1]->name, cmds[i]->name))
			fprintf(f, "%s%s", i ? " " : "", cmds[i]->name);
	fputs("\"\n\tcur=${COMP_WORDS[COMP_CWORD]}\n\tprev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tcmd=${COMP_WORDS[1]}\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n\t\treturn\n\tfi\n", f);
	bash_values(f, cmds, n);
	fputs("\tif [ \"$cmd\" = replay ] && [[ $cur != -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -f -X '!*.@(pcap|pcapng|cap)' -- \"$cur\") $(compgen -d -- \"$cur\"))\n"
	      "\t\treturn\n\tfi\n", f);
	bash_options(f, cmds, n);
	fputs("\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n}\ncomplete -F _portscope portscope\n", f);
}
