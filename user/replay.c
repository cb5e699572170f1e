// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope replay FILE: read a pcap/pcapng with libpcap, give each frame to
 * the real observer program with BPF_PROG_TEST_RUN, then print what its maps
 * hold: the same code path as a live interface, offline.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "caps.h"
#include "log.h"
#include "model.h"
#include "parse_arg.h"
#include "render.h"
#include "replay.h"

#define ETH_HLEN 14

int replay_frame(int prog_fd, const void *frame, uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return opts.retval;
}

/*
 * Rebuild an Ethernet frame from another link type, so the program sees
 * what it would see on an interface: Linux cooked captures (`-i any`, v1 and
 * v2) carry the ethertype; raw IP captures give it by the version nibble.
 * Returns the frame length, or 0 when the record has no usable header.
 */
static uint32_t to_ethernet(int dlt, const u_char *p, uint32_t caplen, u_char *out)
{
	uint16_t proto;	/* network byte order, as on the wire */
	uint32_t hdr;

	switch (dlt) {
	case DLT_EN10MB:
		memcpy(out, p, caplen);
		return caplen;
	case DLT_LINUX_SLL:
		hdr = 16;
		if (caplen < hdr)
			return 0;
		memcpy(&proto, p + 14, 2);
		break;
	case DLT_LINUX_SLL2:
		hdr = 20;
		if (caplen < hdr)
			return 0;
		memcpy(&proto, p, 2);
		break;
	case DLT_RAW:
		hdr = 0;
		if (caplen < 1)
			return 0;
		proto = htons((p[0] >> 4) == 6 ? 0x86DD : 0x0800);
		break;
	default:
		return 0;
	}
	memset(out, 0, 12);
	memcpy(out + 12, &proto, 2);
	memcpy(out + ETH_HLEN, p + hdr, caplen - hdr);
	return caplen - hdr + ETH_HLEN;
}

static int link_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW;
}

pcap_t *replay_open(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, errbuf);
	int dlt;

	if (!pc) {
		pr_warn("cannot read capture '%s': %s\n", path, errbuf);
		return NULL;
	}
	dlt = pcap_datalink(pc);
	if (!link_supported(dlt)) {
		pr_warn("capture '%s': link type %d (%s) is not supported (Ethernet, Linux cooked and raw IP are)\n",
			path, dlt, pcap_datalink_val_to_name(dlt) ?: "unknown");
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

int replay_run(pcap_t *pc, struct observer *ob, struct replay_stats *rs)
{
	int prog_fd = bpf_program__fd(ob->prog);
	struct pcap_pkthdr *h;
	const u_char *data;
	u_char *frame;
	uint32_t len;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->dlt = pcap_datalink(pc);
	frame = malloc(REPLAY_MAX_FRAME + ETH_HLEN);
	if (!frame)
		return -ENOMEM;
	while ((ret = pcap_next_ex(pc, &h, &data)) == 1) {
		rs->packets++;
		if (h->caplen < h->len)
			rs->snapped++;
		len = h->caplen <= REPLAY_MAX_FRAME ? to_ethernet(rs->dlt, data, h->caplen, frame) : 0;
		if (len < ETH_HLEN) {
			/* the kernel's test_run refuses frames shorter than Ethernet */
			rs->runts++;
			continue;
		}
		ret = replay_frame(prog_fd, frame, len);
		if (ret < 0 && !rs->run_errors++)
			pr_warn("test_run refused a %u-byte frame (record %llu): %s\n", len,
				(unsigned long long)rs->packets, strerror(-ret));
	}
	free(frame);
	if (ret == PCAP_ERROR) {
		pr_warn("capture is damaged after %llu records: %s\n",
			(unsigned long long)rs->packets, pcap_geterr(pc));
		return -EINVAL;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: portscope replay FILE [options]\n"
	      "\n"
	      "Run the real XDP observer over every frame of a pcap or pcapng capture\n"
	      "(BPF_PROG_TEST_RUN) and print its per-port table and reason counters.\n"
	      "Ethernet, Linux cooked (tcpdump -i any) and raw IP captures are read.\n"
	      "\n"
	      "Options:\n"
	      "  -f, --flows            also print the 5-tuple flow table\n"
	      "  -j, --json             one JSON object instead of tables\n"
	      "  -n, --top N            at most N flows (default 20; 0: all)\n"
	      "  -s, --sort KEY         order rows by pkts, bytes, new or port (default pkts)\n"
	      "  -p, --port P           count only port P (repeatable; default: every port)\n"
	      "  -F, --flow-entries N   flow table size (default 65536)\n"
	      "  -v, --verbose          more diagnostics (-vv: libbpf's too)\n"
	      "  -h, --help             this help\n"
	      "\n"
	      "Examples:\n"
	      "  portscope replay web.pcap --flows\n"
	      "  portscope replay any.pcapng --json --port 443 --port 53\n",
	      f);
}

struct replay_args {
	const char *path;
	struct render_opts ro;
	enum sort_key sort;
	int json;
	uint16_t ports[64];
	size_t nports;
	uint32_t flow_entries;
};

static int parse_args(int argc, char **argv, struct replay_args *a)
{
	static const struct option opts[] = {
		{ "flows", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "flow-entries", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned char seen[256] = {};
	int c, verbose = 0;
	uint64_t v;

	a->ro.top = 20;
	opterr = 0;
	while ((c = getopt_once(argc, argv, ":fjn:s:p:F:vh", opts, "p", seen)) != -1) {
		switch (c) {
		case 'f': a->ro.flows = 1; break;
		case 'j': a->json = 1; break;
		case 'v': verbose++; break;
		case 'n':
			if (parse_u64(optarg, "--top", 0, 1u << 30, &v))
				return -EINVAL;
			a->ro.top = v;
			break;
		case 's':
			if (parse_sort_key(optarg, &a->sort)) {
				pr_warn("invalid --sort '%s': use pkts, bytes, new or port\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (a->nports == sizeof(a->ports) / sizeof(a->ports[0])) {
				pr_warn("too many --port options (at most 64)\n");
				return -EINVAL;
			}
			if (parse_port(optarg, &a->ports[a->nports]))
				return -EINVAL;
			a->nports++;
			break;
		case 'F':
			if (parse_u64(optarg, "--flow-entries", 1, 1u << 24, &v))
				return -EINVAL;
			a->flow_entries = v;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			return option_error(c, argv, "replay");
		}
	}
	log_init(verbose);
	if (optind != argc - 1) {
		pr_warn(optind == argc ? "replay needs a capture file\n"
				       : "replay takes one capture file\n");
		return -EINVAL;
	}
	a->path = argv[optind];
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_args a = {};
	struct observer ob = {};
	struct replay_stats rs;
	struct snapshot s = {};
	struct map_fds fds;
	pcap_t *pc;
	int err;

	if (parse_args(argc, argv, &a))
		return EXIT_USAGE;
	if (require_caps(NEED_BPF))
		return EXIT_USAGE;
	struct observer_opts oo = {
		.flow_entries = a.flow_entries,
		.ports = a.nports ? a.ports : NULL,
		.nports = a.nports,
	};
	/* a bad file is refused before anything is loaded */
	pc = replay_open(a.path);
	if (!pc)
		return EXIT_USAGE;
	err = observer_load(&ob, &oo);
	if (err) {
		pcap_close(pc);
		return EXIT_FAIL;
	}
	err = replay_run(pc, &ob, &rs);
	pcap_close(pc);
	if (err) {
		observer_destroy(&ob);
		return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	fds.ports = bpf_map__fd(ob.skel->maps.ports);
	fds.flows = bpf_map__fd(ob.skel->maps.flows);
	fds.reasons = bpf_map__fd(ob.skel->maps.reasons);
	err = snapshot_read(&fds, &s);
	observer_destroy(&ob);
	if (err) {
		pr_warn("cannot read the observer's maps: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	/* frames the kernel never saw still belong in the totals */
	s.reasons[PS_R_RUNT] += rs.runts;
	sort_ports(s.ports, s.nports, a.sort);
	sort_flows(s.flows, s.nflows, a.sort);
	if (a.json)
		render_json(stdout, &s, &a.ro);
	else
		render_text(stdout, &s, &a.ro);
	if (rs.snapped)
		pr_warn("%llu frames were cut by the capture's snap length: bytes count what was captured\n",
			(unsigned long long)rs.snapped);
	snapshot_free(&s);
	return rs.run_errors ? EXIT_FAIL : EXIT_OK;
}
