/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing as a cursor (after xdp-tools' struct hdr_cursor): each
 * parse_* step checks that its header fits, advances the cursor and returns
 * PS_R_PARSED_OK (0) to go on, or the class reason that ends the parse.
 *
 * Two ends bound every L3/L4 header: data_end (what the verifier needs, the
 * linear part of the frame) and ip_end (where the IP packet says it ends;
 * link-layer padding after it is not part of the packet).
 */
#ifndef PS_PARSE_BPF_H
#define PS_PARSE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "defs.bpf.h"
#include "portscope.h"

struct hdr_cursor {
	void *pos;
	void *data_end;
	void *ip_end;
	__u64 frame_len;	/* whole frame, fragments (multi-buffer) included */
	__u32 l3_off;		/* offset of the IP header from the frame start */
};

/* What a parse yields: the flow key and the TCP flags byte. */
struct pkt_info {
	struct ps_flow_key key;
	__u8 tcp_flags;
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

/* Ethernet and up to PS_MAX_VLANS tags; *proto gets the inner ethertype. */
static __always_inline enum ps_reason
parse_eth(struct hdr_cursor *nh, __u16 *proto)
{
	struct ethhdr *eth = nh->pos;
	struct ps_vlan_hdr *vh;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > nh->data_end)
		return PS_R_TRUNC_ETH;
	nh->pos = eth + 1;
	h_proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < PS_MAX_VLANS; i++) {
		if (h_proto != ETH_P_8021Q && h_proto != ETH_P_8021AD)
			break;
		vh = nh->pos;
		if ((void *)(vh + 1) > nh->data_end)
			return PS_R_TRUNC_VLAN;
		nh->pos = vh + 1;
		h_proto = bpf_ntohs(vh->encap_proto);
	}
	if (h_proto == ETH_P_8021Q || h_proto == ETH_P_8021AD)
		return PS_R_TOO_MANY_VLANS;
	*proto = h_proto;
	return PS_R_PARSED_OK;
}

/* IPv4: IHL ≥ 5, header fits, tot_len within the frame; *l4 gets the
 * protocol. Later fragments carry no ports and end the parse. */
static __always_inline enum ps_reason
parse_ipv4(struct hdr_cursor *nh, struct pkt_info *pi, __u8 *l4, int *frag_first)
{
	struct iphdr *iph = nh->pos;
	__u16 tot_len, frag;
	__u32 hlen;

	if ((void *)(iph + 1) > nh->data_end)
		return PS_R_TRUNC_IPV4;
	if (iph->version != 4)
		return PS_R_BAD_IP_VERSION;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return PS_R_BAD_IHL;
	if (nh->pos + hlen > nh->data_end)
		return PS_R_TRUNC_IPV4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hlen || nh->l3_off + tot_len > nh->frame_len)
		return PS_R_BAD_IP_LEN;

	pi->key.family = 4;
	pi->key.saddr[0] = iph->saddr;
	pi->key.daddr[0] = iph->daddr;
	pi->key.proto = iph->protocol;
	nh->ip_end = nh->pos + tot_len;
	nh->pos += hlen;

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
	struct ps_ipv6_opt_hdr *oh = nh->pos;
	struct ps_frag_hdr *fh = nh->pos;
	__u32 len;

	switch (*nexthdr) {
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
	case NEXTHDR_AUTH:
		if ((void *)(oh + 1) > nh->data_end || (void *)(oh + 1) > nh->ip_end)
			return PS_R_TRUNC_EXTHDR;
		len = *nexthdr == NEXTHDR_AUTH ? (oh->hdrlen + 2) * 4
					       : (oh->hdrlen + 1) * 8;
		*nexthdr = oh->nexthdr;
		break;
	case NEXTHDR_FRAGMENT:
		if ((void *)(fh + 1) > nh->data_end || (void *)(fh + 1) > nh->ip_end)
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
	if (nh->pos + len > nh->data_end || nh->pos + len > nh->ip_end)
		return PS_R_TRUNC_EXTHDR;
	nh->pos += len;
	return PS_R_PARSED_OK;
}

/* IPv6 and a bounded walk over its extension headers. *frag_first is set
 * when a first fragment (offset 0) was passed on the way. */
static __always_inline enum ps_reason
parse_ipv6(struct hdr_cursor *nh, struct pkt_info *pi, __u8 *l4, int *frag_first)
{
	struct ipv6hdr *ip6h = nh->pos;
	enum ps_reason r;
	__u16 plen;
	__u8 next;
	int i, done = 0;

	if ((void *)(ip6h + 1) > nh->data_end)
		return PS_R_TRUNC_IPV6;
	if (ip6h->version != 6)
		return PS_R_BAD_IP_VERSION;
	plen = bpf_ntohs(ip6h->payload_len);
	if (nh->l3_off + sizeof(*ip6h) + plen > nh->frame_len)
		return PS_R_BAD_IP_LEN;

	pi->key.family = 6;
	__builtin_memcpy(pi->key.saddr, &ip6h->saddr, 16);
	__builtin_memcpy(pi->key.daddr, &ip6h->daddr, 16);
	nh->pos = ip6h + 1;
	/* payload_len 0: a jumbogram (or BIG TCP); the frame bounds it */
	nh->ip_end = plen ? nh->pos + plen : nh->data_end;

	next = ip6h->nexthdr;
	for (i = 0; i < PS_MAX_EXTHDRS; i++) {
		if (next == NEXTHDR_FRAGMENT)
			*frag_first = 1;
		r = parse_ipv6_exthdr(nh, &next, &done);
		if (r != PS_R_PARSED_OK || done)
			break;
	}
	pi->key.proto = next;
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
	struct tcphdr *th = nh->pos;
	__u32 hlen;

	if ((void *)(th + 1) > nh->data_end || (void *)(th + 1) > nh->ip_end)
		return PS_R_TRUNC_TCP;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th))
		return PS_R_BAD_TCP_DOFF;
	if (nh->pos + hlen > nh->data_end || nh->pos + hlen > nh->ip_end)
		return PS_R_TRUNC_TCP;
	pi->key.sport = bpf_ntohs(th->source);
	pi->key.dport = bpf_ntohs(th->dest);
	pi->tcp_flags = ((__u8 *)th)[13];
	nh->pos += hlen;
	return PS_R_PARSED_OK;
}

static __always_inline enum ps_reason
parse_udp(struct hdr_cursor *nh, struct pkt_info *pi)
{
	struct udphdr *uh = nh->pos;

	if ((void *)(uh + 1) > nh->data_end || (void *)(uh + 1) > nh->ip_end)
		return PS_R_TRUNC_UDP;
	pi->key.sport = bpf_ntohs(uh->source);
	pi->key.dport = bpf_ntohs(uh->dest);
	nh->pos = uh + 1;
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

/*
 * The whole parse. Returns the packet's class; *event gets an extra event
 * reason (a first fragment) or PS_R_MAX for none.
 */
static __always_inline enum ps_reason
parse_packet(struct hdr_cursor *nh, struct pkt_info *pi, enum ps_reason *event)
{
	void *data = nh->pos;
	enum ps_reason r;
	__u16 proto = 0;
	__u8 l4 = 0;
	int frag_first = 0;

	*event = PS_R_MAX;
	r = parse_eth(nh, &proto);
	if (r != PS_R_PARSED_OK)
		return r;
	nh->l3_off = nh->pos - data;

	if (proto == ETH_P_IP)
		r = parse_ipv4(nh, pi, &l4, &frag_first);
	else if (proto == ETH_P_IPV6)
		r = parse_ipv6(nh, pi, &l4, &frag_first);
	else
		return proto == ETH_P_ARP ? PS_R_ARP : PS_R_NON_IP;
	if (r != PS_R_PARSED_OK)
		return r;
	if (frag_first)
		*event = proto == ETH_P_IP ? PS_R_IPV4_FRAG_FIRST : PS_R_IPV6_FRAG_FIRST;
	return parse_l4(nh, pi, l4);
}

#endif /* PS_PARSE_BPF_H */
