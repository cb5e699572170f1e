// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Replay: read a pcap/pcapng with libpcap and give each frame to the real
 * observer program with BPF_PROG_TEST_RUN: the same code path as a live
 * interface, offline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "observe/replay.h"

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
