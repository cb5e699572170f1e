// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rules (the same contract the BPF parser implements):
 * - up to 2 VLAN tags (0x8100, 0x88a8); a third is too_many_vlans;
 * - IPv4: 20 bytes, version 4, IHL >= 5, IHL*4 present, IHL*4 <= tot_len
 *   and tot_len within the frame; offset != 0 is a later fragment; MF with
 *   offset 0 is a first fragment (an event) and parsing goes on;
 * - IPv6: 40 bytes, version 6, 40 + payload_len within the frame (0: up to
 *   the frame end); at most 8 extension headers (HBH 0, Routing 43, Frag 44,
 *   AH 51, Dest 60) are walked, a 9th is too many;
 * - L4 headers must fit before both the frame end and the IP end.
 * With a wire length (replay: a capture's record length, more than the
 * frame when the capture cut it), IP lengths are checked against the wire
 * length, headers still have to be in the frame, and IPv4 tot_len 0 (a
 * TSO/GSO frame captured on its sender) means "up to the wire length".
 */
#include <string.h>
#include "refparse.h"

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int is_ext6(unsigned nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/* The bytes of a frame: cap of them captured, wire on the wire. */
struct frame {
	const uint8_t *p;
	size_t cap, wire;
	int tso;
};

/* n bytes at off are captured and before end */
static int fits(const struct frame *f, size_t off, size_t n, size_t end)
{
	return off + n <= end && off + n <= f->cap;
}

static int l4(const struct frame *f, size_t off, size_t end, unsigned proto, struct ref_result *r)
{
	const uint8_t *p = f->p;
	unsigned doff;

	r->key.proto = (uint8_t)proto;
	if (proto == 6) {
		if (!fits(f, off, 20, end))
			return PS_R_TRUNC_TCP;
		doff = p[off + 12] >> 4;
		if (doff < 5)
			return PS_R_BAD_TCP_DOFF;
		if (off + doff * 4 > end)
			return PS_R_TRUNC_TCP;
		r->tcp_flags = p[off + 13];
	} else if (proto == 17) {
		if (!fits(f, off, 8, end))
			return PS_R_TRUNC_UDP;
	} else {
		return proto == 1 ? PS_R_ICMP : proto == 58 ? PS_R_ICMPV6 : PS_R_OTHER_L4;
	}
	r->key.sport = (uint16_t)be16(p + off);
	r->key.dport = (uint16_t)be16(p + off + 2);
	return PS_R_PARSED_OK;
}

static int ipv4(const struct frame *f, size_t off, struct ref_result *r)
{
	const uint8_t *p = f->p;
	size_t len = f->cap, tot;
	unsigned ihl, frag;

	if (off + 20 > len)
		return PS_R_TRUNC_IPV4;
	if (p[off] >> 4 != 4)
		return PS_R_BAD_IP_VERSION;
	ihl = (p[off] & 15) * 4;
	if (ihl < 20)
		return PS_R_BAD_IHL;
	if (off + ihl > len)
		return PS_R_TRUNC_IPV4;
	tot = be16(p + off + 2);
	if (!tot && f->tso)
		tot = f->wire - off;
	if (tot < ihl || off + tot > f->wire)
		return PS_R_BAD_IP_LEN;
	r->key.family = 4;
	memcpy(&r->key.saddr[0], p + off + 12, 4);
	memcpy(&r->key.daddr[0], p + off + 16, 4);
	r->key.proto = p[off + 9];
	frag = be16(p + off + 6);
	if (frag & 0x1fff)
		return PS_R_IPV4_FRAG_LATER;
	if (frag & 0x2000)
		r->event = PS_R_IPV4_FRAG_FIRST;
	return l4(f, off + ihl, off + tot, p[off + 9], r);
}

static int ipv6(const struct frame *f, size_t off, struct ref_result *r)
{
	const uint8_t *p = f->p;
	size_t len = f->cap, end, hl;
	unsigned nh, n, plen;
	int frag = 0;

	if (off + 40 > len)
		return PS_R_TRUNC_IPV6;
	if (p[off] >> 4 != 6)
		return PS_R_BAD_IP_VERSION;
	plen = be16(p + off + 4);
	if (off + 40 + plen > f->wire)
		return PS_R_BAD_IP_LEN;
	end = plen ? off + 40 + plen : f->wire;
	r->key.family = 6;
	memcpy(r->key.saddr, p + off + 8, 16);
	memcpy(r->key.daddr, p + off + 24, 16);
	nh = p[off + 6];
	off += 40;
	for (n = 0; is_ext6(nh); n++) {
		if (n == PS_MAX_EXTHDRS)
			return PS_R_TOO_MANY_EXTHDRS;
		if (nh == 44) {
			if (!fits(f, off, 8, end))
				return PS_R_TRUNC_EXTHDR;
			if (be16(p + off + 2) >> 3)
				return PS_R_IPV6_FRAG_LATER;
			frag = 1;
			hl = 8;
		} else {
			if (!fits(f, off, 2, end))
				return PS_R_TRUNC_EXTHDR;
			hl = nh == 51 ? (p[off + 1] + 2u) * 4 : (p[off + 1] + 1u) * 8;
			if (off + hl > end)
				return PS_R_TRUNC_EXTHDR;
		}
		nh = p[off];
		off += hl;
	}
	r->key.proto = (uint8_t)nh;
	if (nh == 59)
		return PS_R_IPV6_NO_NEXT;
	if (frag)
		r->event = PS_R_IPV6_FRAG_FIRST;
	return l4(f, off, end, nh, r);
}

void ref_parse(const uint8_t *p, size_t len, struct ref_result *r)
{
	ref_parse_wire(p, len, len, 0, r);
}

void ref_parse_wire(const uint8_t *p, size_t len, size_t wire, int tso, struct ref_result *r)
{
	struct frame f = { p, len, wire > len ? wire : len, tso };
	size_t off = 14;
	unsigned type, tags = 0;

	memset(r, 0, sizeof(*r));
	r->event = PS_R_MAX;
	if (len < 14) {
		r->cls = PS_R_TRUNC_ETH;
		return;
	}
	type = be16(p + 12);
	while (type == 0x8100 || type == 0x88a8) {
		if (tags == PS_MAX_VLANS) {
			r->cls = PS_R_TOO_MANY_VLANS;
			return;
		}
		if (off + 4 > len) {
			r->cls = PS_R_TRUNC_VLAN;
			return;
		}
		type = be16(p + off + 2);
		off += 4;
		tags++;
	}
	if (type == 0x0800)
		r->cls = ipv4(&f, off, r);
	else if (type == 0x86dd)
		r->cls = ipv6(&f, off, r);
	else
		r->cls = type == 0x0806 ? PS_R_ARP : PS_R_NON_IP;
}
