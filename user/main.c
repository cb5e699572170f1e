// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portscope: show how a port is demultiplexed. Subcommand dispatch. */
#include <stdio.h>
#include <string.h>
#include "log.h"
#include "attach.h"
#include "groups.h"
#include "replay.h"
#include "steer.h"
#include "top.h"
#include "metrics.h"
#include "demo.h"

#define PORTSCOPE_VERSION "0.1.0"

static void usage(FILE *f)
{
	fputs("Usage: portscope COMMAND [options]\n"
	      "\n"
	      "Commands:\n"
	      "  replay FILE    run the XDP observer over a pcap/pcapng capture, offline\n"
	      "  demo           a lab in network namespaces that shows all of the above\n"
	      "  top            live per-port traffic with the processes listening (-i IF)\n"
	      "  flows          the 5-tuple flow table (-i IF, or the pinned observer)\n"
	      "  metrics        Prometheus metrics: stdout, --listen ADDR:PORT, --textfile\n"
	      "  attach -i IF   attach the XDP observer and pin it (persistent mode)\n"
	      "  detach         detach the pinned observer ([-i IF]...)\n"
	      "  status         what portscope has attached where, since when, table fill\n"
	      "  cleanup        remove portscope's stale pins (gone devices, closed groups)\n"
	      "  groups         list SO_REUSEPORT groups, members and their processes\n"
	      "  steer PORT     steer a reuseport group by policy; drain; 'steer off', 'steer status'\n"
	      "  help           this help\n"
	      "  version        print the version\n"
	      "\n"
	      "'portscope COMMAND --help' describes a command's options.\n"
	      "\n"
	      "Examples:\n"
	      "  sudo portscope demo\n"
	      "  sudo portscope top -i eth0\n"
	      "  sudo portscope flows -i eth0 --port 443\n"
	      "  sudo portscope metrics --listen 127.0.0.1:9435\n"
	      "  sudo portscope replay capture.pcap --flows\n"
	      "  sudo portscope groups --port 8080\n"
	      "  sudo portscope steer 8080 --policy weighted --weight 4242=3 --weight 4243=1\n",
	      f);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "replay", cmd_replay },
	{ "top", cmd_top },
	{ "flows", cmd_flows },
	{ "metrics", cmd_metrics },
	{ "demo", cmd_demo },
	{ "attach", cmd_attach },
	{ "detach", cmd_detach },
	{ "status", cmd_status },
	{ "cleanup", cmd_cleanup },
	{ "groups", cmd_groups },
	{ "steer", cmd_steer },
};

int main(int argc, char **argv)
{
	size_t i;

	log_init(0);
	if (argc < 2) {
		pr_warn("no command given; 'portscope help' lists them\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		if (argc > 2) {
			pr_warn("unexpected argument '%s'\n", argv[2]);
			return EXIT_USAGE;
		}
		printf("portscope %s\n", PORTSCOPE_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	pr_warn("unknown command '%s'; 'portscope help' lists them\n", argv[1]);
	return EXIT_USAGE;
}
