// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the command line. The input is NUL-separated words: each
 * word goes through every value parser (numbers, ports, seconds, policies,
 * sort keys, protocols, modes, weights, pids), and all of them together
 * through the one parser (lib/params.c) as the command line of every
 * command's table, without running it. What a parser accepts must be in
 * range; nothing may crash or leak.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/log.h"
#include "lib/parse_arg.h"
#include "observe/live.h"
#include "steer/config.h"
#include "view/model.h"

#define MAX_WORDS 32

static const struct cmd *const cmds[] = {
	&cmd_top, &cmd_flows, &cmd_metrics, &cmd_attach, &cmd_detach, &cmd_status, &cmd_cleanup,
	&cmd_groups, &cmd_steer, &cmd_steer_off, &cmd_steer_status, &cmd_replay, &cmd_demo,
	&cmd_conflicts, &cmd_ephemeral,
};

static void one_word(const char *w)
{
	struct weight_list wl = {};
	struct pid_list pl = {};
	uint16_t port;
	enum sort_key k;
	uint64_t v;
	double d;
	__u32 mode;
	__u8 proto;
	int pol;

	if (!parse_u64(w, "n", 3, 1000, &v))
		assert(v >= 3 && v <= 1000);
	if (!parse_port(w, &port))
		assert(port >= 1);
	if (!parse_seconds(w, "s", 0.1, 3600, &d))
		assert(d >= 0.1 && d <= 3600);
	if (!parse_policy_arg(w, &pol))
		assert(pol >= 0 && pol < PS_POL_MAX);
	parse_sort_key(w, &k);
	if (!parse_proto(w, &proto))
		assert(proto == IPPROTO_TCP || proto == IPPROTO_UDP);
	parse_mode(w, &mode);
	if (!parse_weight(w, &wl))
		assert(wl.n == 1 && wl.v[0].w <= 1000 && (wl.v[0].cookie || wl.v[0].pid > 0));
	if (!parse_pid(w, &pl))
		assert(pl.n == 1 && pl.v[0] > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_WORDS + 2], *copy[MAX_WORDS + 2], *p;
	struct common c;
	size_t i;
	int argc = 1;
	void *cfg;

	if (!buf)
		return 0;
	log_init(-1);
	memcpy(buf, data, size);
	buf[size] = 0;
	for (p = buf; p < buf + size && argc <= MAX_WORDS; p += strlen(p) + 1) {
		one_word(p);
		argv[argc++] = p;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cfg = calloc(1, cmds[i]->cfg_size + 1);
		assert(cfg);
		if (cmds[i]->defaults)
			memcpy(cfg, cmds[i]->defaults, cmds[i]->cfg_size);
		memcpy(copy, argv, sizeof(argv));	/* getopt permutes */
		copy[0] = (char *)cmds[i]->name;
		copy[argc] = NULL;
		memset(&c, 0, sizeof(c));
		assert(params_parse(cmds[i], argc, copy, cfg, &c) <= 1);
		free(cfg);
	}
	free(buf);
	return 0;
}
