// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The XDP observer: parse every arriving frame, count it per destination
 * (proto, port), per 5-tuple flow and under a named reason. It never changes
 * a packet's fate: always XDP_PASS.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "parse.bpf.h"

/* Set by the loader between open and load. */
const volatile __u8 filter_ports = 0;	/* count only ports set in port_filter */
const volatile __u8 track_flows = 1;	/* 0: per-port counters only (no flow table work) */
const volatile __u8 replay_meta = 0;	/* replay: the wire length in the frame's metadata */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PS_PORTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ps_port_key);
	__type(value, struct ps_port_stats);
} ports SEC(".maps");

/* Shared LRU: one copy per flow, so memory does not scale with CPUs; a flow
 * is normally handled on one CPU (RSS), so the atomic adds do not contend.
 * max_entries is set by the loader (default PS_FLOWS_DEFAULT). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PS_FLOWS_DEFAULT);
	__type(key, struct ps_flow_key);
	__type(value, struct ps_flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_R_MAX);
	__type(key, __u32);
	__type(value, __u64);
} reasons SEC(".maps");

/* Port filter bitmap: bit (port % 64) of word (port / 64). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536 / 64);
	__type(key, __u32);
	__type(value, __u64);
} port_filter SEC(".maps");

/* Written and read by userspace only: which interfaces, how, since when. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct ps_attach_info);
} info SEC(".maps");

static __always_inline void count_reason(enum ps_reason r)
{
	percpu_inc(&reasons, r);
}


/* Coarse clock (jiffies resolution) where it exists: cheaper, and ages only
 * need milliseconds. Both read CLOCK_MONOTONIC. */
static __always_inline __u64 now_ns(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ktime_get_coarse_ns))
		return bpf_ktime_get_coarse_ns();
	return bpf_ktime_get_ns();
}

static __always_inline int port_wanted(__u16 port)
{
	__u64 kb, *bits;

	if (!filter_ports)
		return 1;
	bits = bpf_map_lookup_elem(&port_filter, key32(&kb, port / 64));
	return bits && (*bits & (1ULL << (port % 64)));
}

static __always_inline void count_port(const struct pkt_info *pi, __u64 len)
{
	struct ps_port_stats *ps, zero = {};
	__u8 f = pi->tcp_flags;
	__u64 key;	/* struct ps_port_key (port, proto, pad), written whole */

	key32(&key, pair16(pi->key.dport, pair8(pi->key.proto, 0)));
	ps = bpf_map_lookup_elem(&ports, &key);
	if (!ps) {
		bpf_map_update_elem(&ports, &key, &zero, BPF_NOEXIST);
		ps = bpf_map_lookup_elem(&ports, &key);
		if (!ps)
			return;
	}
	ps->packets++;
	ps->bytes += len;
	if (pi->key.proto != IPPROTO_TCP)
		return;
	/* adds of 0 or 1, not one branch per counter: the compiler would merge
	 * those into a variable offset, which the verifier refuses without
	 * CAP_PERFMON */
	ps->syn += (f & (PS_TCP_SYN | PS_TCP_ACK)) == PS_TCP_SYN;
	ps->synack += (f & (PS_TCP_SYN | PS_TCP_ACK)) == (PS_TCP_SYN | PS_TCP_ACK);
	ps->fin += !!(f & PS_TCP_FIN);
	ps->rst += !!(f & PS_TCP_RST);
}

static __always_inline void count_flow(const struct pkt_info *pi, __u64 len)
{
	struct ps_flow_stats *fs, init = {};
	__u32 f = pi->tcp_flags;
	__u64 now = now_ns();
	long err;

	fs = bpf_map_lookup_elem(&flows, &pi->key);
	if (!fs) {
		init.packets = 1;
		init.bytes = len;
		init.first_ns = now;
		init.last_ns = now;
		init.tcp_flags = f;
		err = bpf_map_update_elem(&flows, &pi->key, &init, BPF_NOEXIST);
		if (!err) {
			count_reason(PS_R_FLOW_NEW);
			return;
		}
		/* -EEXIST: another CPU inserted it meanwhile; add to that one */
		fs = err == -EEXIST ? bpf_map_lookup_elem(&flows, &pi->key) : NULL;
		if (!fs) {
			count_reason(PS_R_FLOW_INSERT_FAIL);
			return;
		}
	}
	__sync_fetch_and_add(&fs->packets, 1);
	__sync_fetch_and_add(&fs->bytes, len);
	fs->last_ns = now;
	/* a 64-bit atomic over tcp_flags and the pad after it (zero): 32-bit
	 * atomics need the compiler's 32-bit subregisters, whose 4-byte
	 * spills 6.1 refuses (see put_words) */
	if ((fs->tcp_flags & f) != f)
		__sync_fetch_and_or((__u64 *)&fs->tcp_flags,
				    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? (__u64)f : (__u64)f << 32);
}

/* Replay gives test_run 4 bytes of metadata before the frame: the length
 * the capture says the frame had on the wire (0: none given). */
static __always_inline __u32 meta_wire_len(struct xdp_md *ctx)
{
	__u32 *w = (void *)(long)ctx->data_meta;

	if ((void *)(w + 1) > (void *)(long)ctx->data)
		return 0;
	return *w;
}

/* copy: a constant per program (see parse.bpf.h). The frame's length is
 * the whole multi-buffer frame where the kernel can say (5.18+, with
 * bpf_xdp_load_bytes), else its linear part, measured by moves. */
static __always_inline int observe_frame(struct xdp_md *ctx, bool copy)
{
	struct hdr_cursor nh = {
		.ctx = ctx,
		.copy = copy,
		.tso_len = replay_meta,
	};
	struct pkt_info pi = {};
	enum ps_reason r, event;
	__u64 len, wire = 0;

	if (replay_meta) {
		wire = meta_wire_len(ctx);
		/* read, it goes: each move would carry it over the frame */
		if (!copy)
			bpf_xdp_adjust_meta(ctx, sizeof(__u32));
	}
	reload(&nh);
	len = copy ? bpf_xdp_get_buff_len(ctx) : frame_len_moved(ctx, ip_end_hint(&nh));
	if (!copy)
		reload(&nh);
	nh.frame_len = nh.wire_len = len;
	if (replay_meta) {
		/* the larger (never less than what is here), without a
		 * branch: the verifier walks this speculatively, wire 0, and
		 * deciding a comparison there it would track len exactly
		 * from then on (E2BIG) */
		__s64 d = (__s64)wire - (__s64)len;

		barrier_var(d);	/* else the compiler makes it a branch again */
		nh.wire_len = len = wire - (d & (d >> 63));
	}
	r = parse_packet(&nh, &pi, &event);
	if (event != PS_R_MAX)
		count_reason(event);
	if (r == PS_R_PARSED_OK && !port_wanted(pi.key.dport))
		r = PS_R_PORT_FILTERED;
	if (r == PS_R_PARSED_OK) {
		count_port(&pi, len);
		if (track_flows)
			count_flow(&pi, len);
	}
	count_reason(r);
	return XDP_PASS;
}

/* 5.18+: runs with CAP_BPF + CAP_NET_ADMIN */
SEC("xdp")
int observe(struct xdp_md *ctx)
{
	return observe_frame(ctx, true);
}

/* older kernels: headers at variable offsets moved to (bpf_xdp_adjust_head);
 * also runs with CAP_BPF + CAP_NET_ADMIN */
SEC("xdp")
int observe_inplace(struct xdp_md *ctx)
{
	return observe_frame(ctx, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
