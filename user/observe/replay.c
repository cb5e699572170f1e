// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Replay: read a pcap/pcapng with libpcap and give each frame to the real
 * observer program with BPF_PROG_TEST_RUN: the same code path as a live
 * interface, offline.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <string.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "observe/replay.h"

#define ETH_HLEN 14
#define META_LEN 4	/* the wire length, before the frame */

int replay_frame(int prog_fd, const void *frame, uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return opts.retval;
}

/* The wire length goes in 4 bytes of metadata before the frame: ctx_in's
 * data is the metadata's length (test_run takes it since 5.14). */
int replay_frame_wire(int prog_fd, const void *frame, uint32_t len, uint32_t wire)
{
	struct xdp_md ctx = { .data = META_LEN, .data_end = META_LEN + len };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_size_in = META_LEN + len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	uint8_t *buf = malloc(META_LEN + len);
	int err;

	if (!buf)
		return -ENOMEM;
	wire = wire > len ? wire : len;
	memcpy(buf, &wire, META_LEN);
	memcpy(buf + META_LEN, frame, len);
	opts.data_in = buf;
	err = bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : (int)opts.retval;
	free(buf);
	return err;
}

/* Does test_run take a frame of len bytes? */
static int fits(int prog_fd, uint8_t *buf, uint32_t len)
{
	return replay_frame(prog_fd, buf, len) >= 0;
}

uint32_t replay_max_frame(int has_frags)
{
	struct bpf_insn prog[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 2 },	/* r0 = XDP_PASS */
		{ .code = 0x95 },				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .prog_flags = has_frags ? BPF_F_XDP_HAS_FRAGS : 0);
	uint32_t lo = ETH_HLEN, hi = 1u << 20, mid;
	uint8_t *buf = calloc(1, hi);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", prog, 2, &po);

	if (fd < 0 || !buf || !fits(fd, buf, lo)) {
		lo = 0;
		goto out;
	}
	while (lo < hi - 1) {	/* lo fits, hi does not (or is past any limit) */
		mid = lo + (hi - lo) / 2;
		if (fits(fd, buf, mid))
			lo = mid;
		else
			hi = mid;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return lo - (lo ? META_LEN : 0);	/* room for the metadata */
}

/*
 * Rebuild an Ethernet frame from another link type, so the program sees
 * what it would see on an interface: Linux cooked captures (`-i any`, v1 and
 * v2) carry the ethertype; raw IP captures (DLT_RAW, LINKTYPE_IPV4/IPV6)
 * give it by the version nibble. At most max bytes are written to out.
 * Returns the whole converted length (the record's, with an Ethernet
 * header in place of its own), or 0 when the record has no usable header.
 */
static uint32_t to_ethernet(int dlt, const u_char *p, uint32_t caplen, u_char *out, uint32_t max)
{
	uint16_t proto;	/* network byte order, as on the wire */
	uint32_t hdr = 0;

	switch (dlt) {
	case DLT_EN10MB:
		memcpy(out, p, caplen < max ? caplen : max);
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
	case DLT_IPV4:
	case DLT_IPV6:
		if (caplen < 1)
			return 0;
		proto = htons((p[0] >> 4) == 6 ? 0x86DD : 0x0800);
		break;
	default:
		return 0;
	}
	memset(out, 0, 12);
	memcpy(out + 12, &proto, 2);
	caplen -= hdr;
	memcpy(out + ETH_HLEN, p + hdr, caplen + ETH_HLEN < max ? caplen : max - ETH_HLEN);
	return caplen + ETH_HLEN;
}

static int link_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6;
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

/*
 * One record: the frame as captured (at most the kernel's limit), with its
 * length on the wire beside it, so a cut frame counts as the frame that was
 * on the wire: its headers as captured, its bytes the record's length.
 */
static void replay_record(int prog_fd, const struct pcap_pkthdr *h, const u_char *data, u_char *frame,
			  struct replay_stats *rs)
{
	uint32_t full, given, wire;
	int ret;

	rs->packets++;
	full = to_ethernet(rs->dlt, data, h->caplen, frame, rs->max_frame);
	if (full < ETH_HLEN) {
		/* the kernel's test_run refuses frames shorter than Ethernet */
		rs->runts++;
		return;
	}
	wire = h->len > h->caplen ? full + (h->len - h->caplen) : full;
	rs->snapped += h->caplen < h->len;
	given = full < rs->max_frame ? full : rs->max_frame;
	rs->oversize += given < full;
	ret = replay_frame_wire(prog_fd, frame, given, wire);
	if (ret < 0 && !rs->run_errors++)
		pr_warn("test_run refused a %u-byte frame (record %llu): %s\n", given,
			(unsigned long long)rs->packets, strerror(-ret));
}

int replay_run(pcap_t *pc, struct observer *ob, struct replay_stats *rs)
{
	int prog_fd = bpf_program__fd(ob->prog);
	struct pcap_pkthdr *h;
	const u_char *data;
	u_char *frame;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->dlt = pcap_datalink(pc);
	rs->max_frame = replay_max_frame(ob->has_frags);
	if (rs->max_frame < ETH_HLEN) {
		pr_warn("cannot probe the kernel's test_run frame limit\n");
		return -EIO;
	}
	pr_debug("test_run takes frames of up to %u bytes\n", rs->max_frame);
	frame = malloc(rs->max_frame);
	if (!frame)
		return -ENOMEM;
	while ((ret = pcap_next_ex(pc, &h, &data)) == 1)
		replay_record(prog_fd, h, data, frame, rs);
	free(frame);
	if (ret == PCAP_ERROR) {
		pr_warn("capture is damaged after %llu records: %s\n",
			(unsigned long long)rs->packets, pcap_geterr(pc));
		return -EINVAL;
	}
	return 0;
}
