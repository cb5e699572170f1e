// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portscope replay FILE: the real observer over a capture, then its maps. */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli/commands.h"
#include "lib/caps.h"
#include "lib/log.h"
#include "observe/replay.h"
#include "view/model.h"
#include "view/render.h"

struct replay_cfg {
	const char *path;
	struct render_opts ro;
	int sort;
	struct port_list ports;
	__u32 flow_entries;
};

static const struct replay_cfg defaults = { .ro.top = 20 };

static int parse_sort(const char *s, void *field)
{
	if (!parse_sort_key(s, field))
		return 0;
	pr_warn("invalid --sort '%s': use pkts, bytes, new or port\n", s);
	return -EINVAL;
}

/* Load, run every frame, read the maps: 0, or an exit status. */
static int replay_file(const struct replay_cfg *a, struct snapshot *s, struct replay_stats *rs)
{
	struct observer_opts oo = {
		.replay = 1,
		.flow_entries = a->flow_entries,
		.ports = a->ports.n ? a->ports.v : NULL,
		.nports = a->ports.n,
	};
	struct observer ob = {};
	struct map_fds fds;
	pcap_t *pc;
	int err;

	/* a bad file is refused before anything is loaded */
	pc = replay_open(a->path);
	if (!pc)
		return EXIT_USAGE;
	err = observer_load(&ob, &oo);
	if (!err)
		err = replay_run(pc, &ob, rs);
	pcap_close(pc);
	if (err) {
		observer_destroy(&ob);
		return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	fds.ports = bpf_map__fd(ob.skel->maps.ports);
	fds.flows = bpf_map__fd(ob.skel->maps.flows);
	fds.reasons = bpf_map__fd(ob.skel->maps.reasons);
	err = snapshot_read(&fds, s);
	observer_destroy(&ob);
	if (err) {
		pr_warn("cannot read the observer's maps: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int run_replay(void *cfg, const struct common *c)
{
	struct replay_cfg *a = cfg;
	struct replay_stats rs;
	struct snapshot s = {};
	int ret;

	if (require_caps(NEED_BPF))
		return EXIT_USAGE;
	ret = replay_file(a, &s, &rs);
	if (ret)
		return ret;
	/* frames the kernel never saw still belong in the totals */
	s.reasons[PS_R_RUNT] += rs.runts;
	sort_ports(s.ports, s.nports, a->sort);
	sort_flows(s.flows, s.nflows, a->sort);
	a->ro.capture = &rs;
	if (c->json)
		render_json(stdout, &s, &a->ro);
	else
		render_text(stdout, &s, &a->ro);
	snapshot_free(&s);
	return rs.run_errors ? EXIT_FAIL : EXIT_OK;
}

static const struct opt replay_opts[] = {
	{ "flows", 'f', OPT_FLAG, OPTF(replay_cfg, ro.flows), NULL, "also print the 5-tuple flow table" },
	{ "top", 'n', OPT_U64, OPTF(replay_cfg, ro.top), "N", "at most N flows (default 20; 0: all)",
	  .max = 1u << 30 },
	{ "sort", 's', OPT_FUNC, OPTF(replay_cfg, sort), "KEY",
	  "order rows by pkts, bytes, new or port (default pkts)", .parse = parse_sort,
	  .values = "pkts bytes new port" },
	{ "port", 'p', OPT_PORTS, OPTF(replay_cfg, ports), "P",
	  "count only port P (repeatable; default: every port)" },
	{ "flow-entries", 'F', OPT_U32, OPTF(replay_cfg, flow_entries), "N",
	  "flow table size (default 65536)", .min = 1, .max = 1u << 24 },
	{ NULL },
};

static const struct opt replay_operands[] = {
	{ "FILE", 0, OPT_STR, OPTF(replay_cfg, path), "capture file" },
	{ NULL },
};

const struct cmd cmd_replay = {
	.name = "replay",
	.summary = "run the XDP observer over a pcap/pcapng capture, offline",
	.about = "Run the real XDP observer over every frame of a pcap or pcapng capture\n"
		 "(BPF_PROG_TEST_RUN) and print its per-port table and reason counters.\n"
		 "Ethernet, Linux cooked (tcpdump -i any) and raw IP captures are read;\n"
		 "frames under 14 bytes are counted as runts. A frame the capture cut (its snap\n"
		 "length) counts as the frame that was on the wire: its headers as captured,\n"
		 "its bytes the record's length; one cut inside its headers is a truncation,\n"
		 "by name. Frames longer than the kernel's test_run takes (GRO, BIG TCP) are\n"
		 "given in part, with their length.",
	.examples = "portscope replay web.pcap --flows\nportscope replay any.pcapng --json --port 443 --port 53",
	.opts = replay_opts,
	.operands = replay_operands,
	.cfg_size = sizeof(struct replay_cfg),
	.defaults = &defaults,
	.run = run_replay,
	.json = 1,
};
