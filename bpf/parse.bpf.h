/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing as a cursor (after xdp-tools' struct hdr_cursor): each
 * parse_* step checks that its header fits, advances the cursor and returns
 * PS_R_PARSED_OK (0) to go on, or the class reason that ends the parse.
 *
 * The cursor is an offset, not a packet pointer: without CAP_PERFMON the
 * verifier refuses packet pointer arithmetic with a variable offset (its
 * Spectre v1 hardening), and portscope runs with CAP_BPF + CAP_NET_ADMIN.
 * Headers at fixed offsets (Ethernet, VLAN tags, the IP header, and L4 when
 * there are no IP options or IPv6 extension headers: the common case) are
 * read in place through immediate offsets; the others are copied with
 * bpf_xdp_load_bytes(), which takes a scalar offset (5.18+). Kernels without
 * it get a second program (nh->copy = 0) that moves the frame's start to
 * them with bpf_xdp_adjust_head() (load_moved), and so measures the frame
 * too (frame_len_moved). Two programs, not a run-time branch: the verifier also walks
 * a dead branch, speculatively, and refuses what is in it.
 *
 * Two ends bound every L3/L4 header: the frame (frame_len, all fragments of
 * a multi-buffer frame) and ip_end (where the IP packet says it ends;
 * link-layer padding after it is not part of the packet). IP lengths are
 * checked against wire_len, the frame's length on the wire: on a live
 * interface the frame itself; in a replay, a capture's record length, which
 * is more when the capture cut the frame (snap length, or a frame over
 * test_run's limit). A header past frame_len is then a truncation, by name;
 * a cut payload is not.
 */
#ifndef PS_PARSE_BPF_H
#define PS_PARSE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "defs.bpf.h"
#include "portscope.h"

struct hdr_cursor {
	struct xdp_md *ctx;
	void *data;		/* the linear part of the frame */
	void *data_end;
	__u32 frame_len;	/* whole frame, fragments (multi-buffer) included */
	__u32 wire_len;		/* the frame on the wire: frame_len, or more (replay) */
	__u32 l3_off;		/* where the IP header starts */
	__u32 off;		/* where the next header starts */
	__u32 ip_end;		/* where the IP packet ends */
	bool copy;		/* a constant of each program: bpf_xdp_load_bytes */
	bool tso_len;		/* replay: an IPv4 tot_len of 0 is a TSO/GSO frame
				 * bounded by wire_len, as captures on a sender show */
};

/* What a parse yields: the flow key (its addresses as they are parsed, the
 * rest when the parse ends: key_tail) and the TCP flags byte. The scalars
 * are 8 bytes each, so every store to them replaces a whole stack slot
 * (put_words: 6.1). */
struct pkt_info {
	struct ps_flow_key key;
	__u64 sport, dport, proto, family;
	__u64 tcp_flags;
};

struct ps_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct ps_ipv6_opt_hdr {	/* Hop-by-Hop, Routing, Destination Options, AH */
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ps_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | M flag */
	__be32 identification;
};

/*
 * The in-place program (kernels before 5.18: no bpf_xdp_load_bytes, no
 * bpf_xdp_get_buff_len) without CAP_PERFMON can neither add a variable
 * offset to a packet pointer nor subtract two. bpf_xdp_adjust_head() takes
 * a scalar: it moves the frame's start and refuses to leave fewer than
 * ETH_HLEN bytes, so a move by d succeeds exactly when the frame has
 * d + ETH_HLEN bytes, and what was at offset d + ETH_HLEN is then at the
 * immediate ETH_HLEN. Every move is undone before the function returns; the
 * verifier voids all packet pointers at each call, so the cursor's are
 * reloaded and no other packet pointer is held across one.
 */

/* ctx->data or ctx->data_end, loaded at its immediate offset: the compiler
 * would merge the loads of several moves into one through a register add,
 * which no ctx pointer may take */
#define xdp_field(ctx, f) ({						\
	void *__p;							\
	asm volatile("%0 = *(u32 *)(%1 + %2)"				\
		     : "=r"(__p) : "r"(ctx), "i"(offsetof(struct xdp_md, f)));	\
	__p;								\
})

static __always_inline void reload(struct hdr_cursor *nh)
{
	nh->data = xdp_field(nh->ctx, data);
	nh->data_end = xdp_field(nh->ctx, data_end);
}

/* size bytes at offset off copied into buf: 0, or -1 when the frame is shorter */
static __always_inline int load_moved(struct hdr_cursor *nh, __u32 off, void *buf, __u32 size)
{
	struct xdp_md *ctx = nh->ctx;
	int d = off - ETH_HLEN, err = -1;
	void *p;

	/* written on every path: 6.1 walks the copy speculatively where the
	 * move failed, and refuses to read stack nothing wrote */
	__builtin_memset(buf, 0, size);
	if (off >= ETH_HLEN && off <= 0xffff && !bpf_xdp_adjust_head(ctx, d)) {
		p = xdp_field(ctx, data);
		if (p + ETH_HLEN + size <= xdp_field(ctx, data_end)) {
			__builtin_memcpy(buf, p + ETH_HLEN, size);
			err = 0;
		}
		/* else the compiler redoes the comparison after the move
		 * back, with pointers the move made void */
		barrier_var(err);
		bpf_xdp_adjust_head(ctx, -d);	/* back where it was: cannot fail */
	}
	reload(nh);
	return err;
}

/* 1 when the frame has exactly n (>= ETH_HLEN) bytes: a move to
 * n - ETH_HLEN succeeds and one byte further fails. Moved back. */
static __always_inline int frame_is(struct xdp_md *ctx, __u32 n)
{
	int more;

	if (bpf_xdp_adjust_head(ctx, n - ETH_HLEN))
		return 0;
	more = !bpf_xdp_adjust_head(ctx, 1);
	bpf_xdp_adjust_head(ctx, -(int)(n - ETH_HLEN + more));
	return !more;
}

/* The frame's length by moves, given where its IP header says the packet
 * ends, g (0: no IP header, and no length is needed, the parse ends before):
 * g, or the 60 bytes of a minimum frame padded on the wire (3 moves each).
 * Else (a frame shorter than it says, a longer link-layer trailer, an IP
 * length of 0) the longest move that succeeds, a bit at a time, up to
 * 256 KiB (a linear frame before 5.18 is at most 64 KiB): 19 moves, added up
 * without a branch (a branch each would give the verifier 2^18 paths to
 * walk, with the length a constant on each). */
static __always_inline __u32 frame_len_moved(struct xdp_md *ctx, __u32 g)
{
	__u64 m = 0, refused;
	int b;

	if (g < ETH_HLEN)
		return 0;
	if (frame_is(ctx, g))
		return g;
	if (g < ETH_ZLEN && frame_is(ctx, ETH_ZLEN))
		return ETH_ZLEN;
#pragma unroll
	for (b = 17; b >= 0; b--) {
		refused = (__u64)bpf_xdp_adjust_head(ctx, 1 << b) >> 63;
		barrier_var(refused);
		m += (1 << b) & (refused - 1);
	}
	bpf_xdp_adjust_head(ctx, -(int)m);
	return m + ETH_HLEN;
}

/* size bytes at offset off copied into buf (in the program for older
 * kernels, by moves: load_moved): 0, or non-zero when the frame is shorter */
static __always_inline int load_at(struct hdr_cursor *nh, __u32 off, void *buf, __u32 size)
{
	return nh->copy ? bpf_xdp_load_bytes(nh->ctx, off, buf, size) : load_moved(nh, off, buf, size);
}

/* *hdr: the L4 header at nh->off, in place where that is one of the offsets
 * it has without IP options or extension headers (Ethernet, 0-2 VLAN tags,
 * IPv4 or IPv6: each an immediate; a variable offset, or a pointer kept from
 * the IP layer, the verifier refuses without CAP_PERFMON, the latter once a
 * move has voided it) and in the linear part, else copied into buf. 0, or
 * non-zero when the IP packet or the frame ends first (a status, not a NULL
 * pointer: packet pointers are not compared with NULL without CAP_PERFMON). */
#define L4_AT(o)							\
	case o:								\
		p = nh->data + o;					\
		barrier_var(p);	/* else merged: a register add */	\
		if (p + sizeof(struct tcphdr) <= nh->data_end) {	\
			*hdr = p;					\
			return 0;					\
		}							\
		break;
static __always_inline int l4_hdr(struct hdr_cursor *nh, __u32 size, void *buf, void **hdr)
{
	void *p;

	if (nh->off + size > nh->ip_end)
		return -1;
	/* the TCP header's size for UDP too (one immediate each): a UDP
	 * header with fewer than 12 bytes after it is copied instead */
	switch (nh->off) {
	L4_AT(34) L4_AT(38) L4_AT(42)	/* IPv4 */
	L4_AT(54) L4_AT(58) L4_AT(62)	/* IPv6 */
	}
	*hdr = buf;
	return load_at(nh, nh->off, buf, size);
}
#undef L4_AT

/* Ethernet and up to PS_MAX_VLANS tags; *proto gets the inner ethertype,
 * *l3 the IP header in place (fixed offsets only: 14, 18 or 22). */
static __always_inline enum ps_reason
parse_eth(struct hdr_cursor *nh, void **l3, __u16 *proto)
{
	struct ethhdr *eth = nh->data;
	struct ps_vlan_hdr *vh;
	void *pos;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > nh->data_end)
		return PS_R_TRUNC_ETH;
	pos = eth + 1;
	nh->l3_off = sizeof(*eth);
	h_proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < PS_MAX_VLANS; i++) {
		if (h_proto != ETH_P_8021Q && h_proto != ETH_P_8021AD)
			break;
		vh = pos;
		if ((void *)(vh + 1) > nh->data_end)
			return PS_R_TRUNC_VLAN;
		pos = vh + 1;
		nh->l3_off += sizeof(*vh);
		h_proto = bpf_ntohs(vh->encap_proto);
	}
	if (h_proto == ETH_P_8021Q || h_proto == ETH_P_8021AD)
		return PS_R_TOO_MANY_VLANS;
	*proto = h_proto;
	*l3 = pos;
	return PS_R_PARSED_OK;
}

/* Where the IP packet says it ends (the in-place program's first guess at
 * the frame's length: frame_len_moved), or 0. */
static __always_inline __u32 ip_end_hint(struct hdr_cursor *nh)
{
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u16 proto = 0;
	void *l3 = NULL;
	__u32 len;

	if (parse_eth(nh, &l3, &proto) != PS_R_PARSED_OK)
		return 0;
	if (proto == ETH_P_IP) {
		iph = l3;
		if ((void *)(iph + 1) > nh->data_end)
			return 0;
		/* else the compiler merges the two loads into a register add */
		len = bpf_ntohs(iph->tot_len);
		barrier_var(len);
		return nh->l3_off + len;
	}
	if (proto == ETH_P_IPV6) {
		ip6h = l3;
		if ((void *)(ip6h + 1) > nh->data_end)
			return 0;
		return nh->l3_off + sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	}
	return 0;
}

/* IPv4: IHL ≥ 5, header fits, tot_len within the frame; *l4 gets the
 * protocol. Later
 * fragments carry no ports and end the parse. */
static __always_inline enum ps_reason
parse_ipv4(struct hdr_cursor *nh, struct iphdr *iph, struct pkt_info *pi, __u8 *l4,
	   int *frag_first)
{
	__u32 hlen, tot_len;
	__u16 frag;

	if ((void *)(iph + 1) > nh->data_end)
		return PS_R_TRUNC_IPV4;
	if (iph->version != 4)
		return PS_R_BAD_IP_VERSION;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return PS_R_BAD_IHL;
	if (nh->l3_off + hlen > nh->frame_len)
		return PS_R_TRUNC_IPV4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (!tot_len && nh->tso_len)
		tot_len = nh->wire_len - nh->l3_off;
	if (tot_len < hlen || nh->l3_off + tot_len > nh->wire_len)
		return PS_R_BAD_IP_LEN;

	pi->family = 4;
	put_words(&pi->key.saddr[0], iph->saddr, 0);
	put_words(&pi->key.daddr[0], iph->daddr, 0);
	pi->proto = iph->protocol;
	nh->ip_end = nh->l3_off + tot_len;
	nh->off = nh->l3_off + hlen;

	frag = bpf_ntohs(iph->frag_off);
	if (frag & IP_OFFSET)
		return PS_R_IPV4_FRAG_LATER;
	*frag_first = !!(frag & IP_MF);
	*l4 = iph->protocol;
	return PS_R_PARSED_OK;
}

/* One IPv6 extension header at the cursor; *nexthdr advances, *done is set
 * when the header is not an extension header. */
static __always_inline enum ps_reason
parse_ipv6_exthdr(struct hdr_cursor *nh, __u8 *nexthdr, int *done)
{
	union {
		struct ps_ipv6_opt_hdr oh;
		struct ps_frag_hdr fh;
	} b;
	struct ps_ipv6_opt_hdr *oh;
	struct ps_frag_hdr *fh;
	__u32 len;

	switch (*nexthdr) {
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
	case NEXTHDR_AUTH:
		oh = &b.oh;
		if (nh->off + sizeof(*oh) > nh->ip_end || load_at(nh, nh->off, oh, sizeof(*oh)))
			return PS_R_TRUNC_EXTHDR;
		len = *nexthdr == NEXTHDR_AUTH ? (oh->hdrlen + 2) * 4 : (oh->hdrlen + 1) * 8;
		*nexthdr = oh->nexthdr;
		break;
	case NEXTHDR_FRAGMENT:
		fh = &b.fh;
		if (nh->off + sizeof(*fh) > nh->ip_end || load_at(nh, nh->off, fh, sizeof(*fh)))
			return PS_R_TRUNC_EXTHDR;
		if (bpf_ntohs(fh->frag_off) & ~7)
			return PS_R_IPV6_FRAG_LATER;
		len = sizeof(*fh);
		*nexthdr = fh->nexthdr;
		break;
	default:
		*done = 1;
		return PS_R_PARSED_OK;
	}
	if (nh->off + len > nh->ip_end)
		return PS_R_TRUNC_EXTHDR;
	nh->off += len;
	return PS_R_PARSED_OK;
}

/* IPv6 and a bounded walk over its extension headers. *frag_first is set
 * when a first fragment (offset 0) was passed on the way. */
static __always_inline enum ps_reason
parse_ipv6(struct hdr_cursor *nh, struct ipv6hdr *ip6h, struct pkt_info *pi, __u8 *l4,
	   int *frag_first)
{
	enum ps_reason r;
	__u16 plen;
	__u8 next;
	int i, done = 0;

	if ((void *)(ip6h + 1) > nh->data_end)
		return PS_R_TRUNC_IPV6;
	if (ip6h->version != 6)
		return PS_R_BAD_IP_VERSION;
	plen = bpf_ntohs(ip6h->payload_len);
	if (nh->l3_off + sizeof(*ip6h) + plen > nh->wire_len)
		return PS_R_BAD_IP_LEN;

	pi->family = 6;
	/* word by word from ip6h (a memcpy, or any &ip6h->saddr, may put the
	 * address in a register first: refused without CAP_PERFMON), two words
	 * a store (put_words: 6.1) */
	put_words(&pi->key.saddr[0], ip6h->saddr.in6_u.u6_addr32[0], ip6h->saddr.in6_u.u6_addr32[1]);
	put_words(&pi->key.saddr[2], ip6h->saddr.in6_u.u6_addr32[2], ip6h->saddr.in6_u.u6_addr32[3]);
	put_words(&pi->key.daddr[0], ip6h->daddr.in6_u.u6_addr32[0], ip6h->daddr.in6_u.u6_addr32[1]);
	put_words(&pi->key.daddr[2], ip6h->daddr.in6_u.u6_addr32[2], ip6h->daddr.in6_u.u6_addr32[3]);
	nh->off = nh->l3_off + sizeof(*ip6h);
	/* payload_len 0: a jumbogram (or BIG TCP); the frame bounds it */
	nh->ip_end = plen ? nh->off + plen : nh->wire_len;

	next = ip6h->nexthdr;
	/* unrolled: no loop counter to spill (6.1 refuses a 4-byte spill over
	 * an earlier one without CAP_PERFMON; see put_words) */
#pragma unroll
	for (i = 0; i < PS_MAX_EXTHDRS; i++) {
		if (next == NEXTHDR_FRAGMENT)
			*frag_first = 1;
		r = parse_ipv6_exthdr(nh, &next, &done);
		if (r != PS_R_PARSED_OK || done)
			break;
	}
	pi->proto = next;
	if (r != PS_R_PARSED_OK)
		return r;
	if (!done) {
		/* PS_MAX_EXTHDRS walked: is the next one yet another? */
		parse_ipv6_exthdr(nh, &next, &done);
		if (!done)
			return PS_R_TOO_MANY_EXTHDRS;
	}
	if (next == NEXTHDR_NONE)
		return PS_R_IPV6_NO_NEXT;
	*l4 = next;
	return PS_R_PARSED_OK;
}

static __always_inline enum ps_reason
parse_tcp(struct hdr_cursor *nh, struct pkt_info *pi)
{
	struct tcphdr b, *th;
	__u32 hlen;

	if (l4_hdr(nh, sizeof(b), &b, (void **)&th))
		return PS_R_TRUNC_TCP;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th))
		return PS_R_BAD_TCP_DOFF;
	if (nh->off + hlen > nh->ip_end)
		return PS_R_TRUNC_TCP;
	pi->sport = bpf_ntohs(th->source);
	pi->dport = bpf_ntohs(th->dest);
	pi->tcp_flags = ((__u8 *)th)[13];
	return PS_R_PARSED_OK;
}

static __always_inline enum ps_reason
parse_udp(struct hdr_cursor *nh, struct pkt_info *pi)
{
	struct udphdr b, *uh;

	if (l4_hdr(nh, sizeof(b), &b, (void **)&uh))
		return PS_R_TRUNC_UDP;
	pi->sport = bpf_ntohs(uh->source);
	pi->dport = bpf_ntohs(uh->dest);
	return PS_R_PARSED_OK;
}

/* Ports or the class of what carries none. */
static __always_inline enum ps_reason
parse_l4(struct hdr_cursor *nh, struct pkt_info *pi, __u8 l4)
{
	switch (l4) {
	case IPPROTO_TCP:
		return parse_tcp(nh, pi);
	case IPPROTO_UDP:
		return parse_udp(nh, pi);
	case IPPROTO_ICMP:
		return PS_R_ICMP;
	case NEXTHDR_ICMP:
		return PS_R_ICMPV6;
	default:
		return PS_R_OTHER_L4;
	}
}

/* The key after the addresses — sport, dport, proto, family, pad — as one
 * 8-byte store (put_words). */
static __always_inline void key_tail(struct pkt_info *pi)
{
	put_words((__u32 *)&pi->key.sport, pair16(pi->sport, pi->dport),
		  pair16(pair8(pi->proto, pi->family), 0));
}

/*
 * The whole parse. Returns the packet's class; *event gets an extra event
 * reason (a first fragment) or PS_R_MAX for none.
 */
static __always_inline enum ps_reason
parse_packet(struct hdr_cursor *nh, struct pkt_info *pi, enum ps_reason *event)
{
	void *l3 = NULL;
	enum ps_reason r;
	__u16 proto = 0;
	__u8 l4 = 0;
	int frag_first = 0;

	*event = PS_R_MAX;
	r = parse_eth(nh, &l3, &proto);
	if (r != PS_R_PARSED_OK)
		return r;

	if (proto == ETH_P_IP)
		r = parse_ipv4(nh, l3, pi, &l4, &frag_first);
	else if (proto == ETH_P_IPV6)
		r = parse_ipv6(nh, l3, pi, &l4, &frag_first);
	else
		return proto == ETH_P_ARP ? PS_R_ARP : PS_R_NON_IP;
	if (r != PS_R_PARSED_OK)
		return r;
	if (frag_first)
		*event = proto == ETH_P_IP ? PS_R_IPV4_FRAG_FIRST : PS_R_IPV6_FRAG_FIRST;
	r = parse_l4(nh, pi, l4);
	key_tail(pi);
	return r;
}

#endif /* PS_PARSE_BPF_H */
