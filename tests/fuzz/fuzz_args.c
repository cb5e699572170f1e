// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the option parsers. The input is NUL-separated words: each
 * word goes through every value parser (numbers, ports, seconds, policies,
 * sort keys, protocols, modes, weights, listen addresses, attach options),
 * and all of them together through getopt_once as a command line. What a
 * parser accepts must be in range; nothing may crash or leak.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "attach.h"
#include "groups.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "parse_arg.h"
#include "steer.h"

#define MAX_WORDS 32

static void one_word(const char *w)
{
	struct attach_req req = {};
	struct sockaddr_storage ss;
	struct weight_arg wa;
	uint16_t port, ports[4];
	enum sort_key k;
	uint64_t v;
	double d;
	__u32 mode;
	__u8 proto;

	if (!parse_u64(w, "n", 3, 1000, &v))
		assert(v >= 3 && v <= 1000);
	if (!parse_port(w, &port))
		assert(port >= 1);
	if (!parse_seconds(w, "s", 0.1, 3600, &d))
		assert(d >= 0.1 && d <= 3600);
	if (parse_policy(w) >= 0)
		assert(parse_policy(w) < PS_POL_MAX);
	parse_sort_key(w, &k);
	if (!parse_proto(w, &proto))
		assert(proto == IPPROTO_TCP || proto == IPPROTO_UDP);
	parse_mode(w, &mode);
	if (!parse_weight(w, &wa))
		assert(wa.w <= 1000 && (wa.cookie || wa.pid > 0));
	parse_listen(w, &ss, 0);
	parse_listen(w, &ss, 1);
	parse_attach_opt('i', w, &req, ports, 4);
	parse_attach_opt('p', w, &req, ports, 4);
	parse_attach_opt('F', w, &req, ports, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct option opts[] = {
		{ "proto", required_argument, NULL, 'P' }, { "policy", required_argument, NULL, 'p' },
		{ "weight", required_argument, NULL, 'w' }, { "drain", required_argument, NULL, 'd' },
		{ "watch", no_argument, NULL, 'W' }, { "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' }, {},
	};
	char *buf = malloc(size + 1), *argv[MAX_WORDS + 2], *p;
	unsigned char seen[256] = {};
	int argc = 1, c;

	if (!buf)
		return 0;
	log_init(-1);
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[0] = "steer";
	for (p = buf; p < buf + size && argc <= MAX_WORDS; p += strlen(p) + 1) {
		one_word(p);
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	optind = 0;		/* glibc: start over */
	opterr = 0;
	while ((c = getopt_once(argc, argv, ":P:p:w:d:Wi:j", opts, "wd", seen)) != -1)
		assert(c != '!' || optind <= argc);
	free(buf);
	return 0;
}
