/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small frame builder for tests: append headers in order, then
 * pkt_finish() fills the length fields (IPv4 tot_len and checksum, IPv6
 * payload_len, UDP length). Offsets of the last L3/L4 header are kept so a
 * test can break a field after finishing.
 */
#ifndef PS_PKTBUILD_H
#define PS_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 16384

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
	size_t l3;		/* offset of the IP header, or 0 */
	size_t l4;		/* offset of the TCP/UDP header, or 0 */
	int family;		/* 4, 6 or 0 */
	int udp;		/* l4 is a UDP header */
};

/* Addresses used by the builder (network order bytes). */
extern const uint8_t PKT_SRC4[4], PKT_DST4[4], PKT_SRC6[16], PKT_DST6[16];

void pkt_init(struct pkt *p);
void pkt_eth(struct pkt *p, uint16_t ethertype);
void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t inner_type);
/* ihl in 32-bit words (5: no options; more: NOP options appended). */
void pkt_ipv4(struct pkt *p, uint8_t proto, int ihl);
void pkt_ipv6(struct pkt *p, uint8_t nexthdr);
/* Hop-by-Hop/Routing/Destination (len8: hdrlen field) or AH (len: hdrlen). */
void pkt_ext6(struct pkt *p, uint8_t type, uint8_t nexthdr, uint8_t hdrlen);
void pkt_frag6(struct pkt *p, uint8_t nexthdr, uint16_t offset8, int more);
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, int doff);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_bytes(struct pkt *p, const void *src, size_t n);
void pkt_payload(struct pkt *p, size_t n);
void pkt_finish(struct pkt *p);

/* Field helpers on a finished packet. */
void pkt_put16(struct pkt *p, size_t off, uint16_t v);	/* network order */
uint16_t pkt_get16(const struct pkt *p, size_t off);

#endif
