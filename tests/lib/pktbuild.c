// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "pktbuild.h"

const uint8_t PKT_SRC4[4] = { 192, 0, 2, 1 };
const uint8_t PKT_DST4[4] = { 198, 51, 100, 7 };
const uint8_t PKT_SRC6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
const uint8_t PKT_DST6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34 };

void pkt_put16(struct pkt *p, size_t off, uint16_t v)
{
	p->b[off] = v >> 8;
	p->b[off + 1] = v & 0xff;
}

uint16_t pkt_get16(const struct pkt *p, size_t off)
{
	return (uint16_t)(p->b[off] << 8 | p->b[off + 1]);
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

void pkt_bytes(struct pkt *p, const void *src, size_t n)
{
	memcpy(p->b + p->len, src, n);
	p->len += n;
}

void pkt_payload(struct pkt *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p->b[p->len + i] = (uint8_t)(i * 7 + 3);
	p->len += n;
}

void pkt_eth(struct pkt *p, uint16_t ethertype)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	pkt_bytes(p, macs, sizeof(macs));
	pkt_put16(p, p->len, ethertype);
	p->len += 2;
}

void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t inner_type)
{
	pkt_put16(p, p->len, vid & 0x0fff);
	pkt_put16(p, p->len + 2, inner_type);
	p->len += 4;
}

void pkt_ipv4(struct pkt *p, uint8_t proto, int ihl)
{
	uint8_t *h = p->b + p->len;
	int i;

	p->l3 = p->len;
	p->family = 4;
	h[0] = 0x40 | (ihl & 0x0f);
	h[8] = 64;			/* ttl */
	h[9] = proto;
	memcpy(h + 12, PKT_SRC4, 4);
	memcpy(h + 16, PKT_DST4, 4);
	for (i = 20; i < ihl * 4; i++)
		h[i] = 1;		/* NOP options */
	p->len += ihl >= 5 ? ihl * 4 : 20;
}

void pkt_ipv6(struct pkt *p, uint8_t nexthdr)
{
	uint8_t *h = p->b + p->len;

	p->l3 = p->len;
	p->family = 6;
	h[0] = 0x60;
	h[6] = nexthdr;
	h[7] = 64;
	memcpy(h + 8, PKT_SRC6, 16);
	memcpy(h + 24, PKT_DST6, 16);
	p->len += 40;
}

void pkt_ext6(struct pkt *p, uint8_t type, uint8_t nexthdr, uint8_t hdrlen)
{
	size_t n = type == 51 ? (hdrlen + 2) * 4u : (hdrlen + 1) * 8u;

	memset(p->b + p->len, 0, n);
	p->b[p->len] = nexthdr;
	p->b[p->len + 1] = hdrlen;
	if (type != 51 && n > 2)
		p->b[p->len + 2] = 1, p->b[p->len + 3] = n - 4;	/* PadN */
	p->len += n;
}

void pkt_frag6(struct pkt *p, uint8_t nexthdr, uint16_t offset8, int more)
{
	memset(p->b + p->len, 0, 8);
	p->b[p->len] = nexthdr;
	pkt_put16(p, p->len + 2, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	p->b[p->len + 7] = 0x42;	/* identification */
	p->len += 8;
}

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, int doff)
{
	uint8_t *h = p->b + p->len;
	int i;

	p->l4 = p->len;
	pkt_put16(p, p->len, sport);
	pkt_put16(p, p->len + 2, dport);
	h[4] = 0x10;			/* seq */
	h[12] = (uint8_t)(doff << 4);
	h[13] = flags;
	pkt_put16(p, p->len + 14, 65535);
	for (i = 20; i < doff * 4; i++)
		h[i] = 1;		/* NOP options */
	p->len += doff >= 5 ? doff * 4 : 20;
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	p->l4 = p->len;
	p->udp = 1;
	pkt_put16(p, p->len, sport);
	pkt_put16(p, p->len + 2, dport);
	memset(p->b + p->len + 4, 0, 4);
	p->len += 8;
}

static uint16_t csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void pkt_finish(struct pkt *p)
{
	size_t ihl;

	if (p->family == 4) {
		ihl = (p->b[p->l3] & 0x0f) * 4u;
		pkt_put16(p, p->l3 + 2, (uint16_t)(p->len - p->l3));
		pkt_put16(p, p->l3 + 10, 0);
		pkt_put16(p, p->l3 + 10, csum(p->b + p->l3, ihl >= 20 ? ihl : 20));
	} else if (p->family == 6) {
		pkt_put16(p, p->l3 + 4, (uint16_t)(p->len - p->l3 - 40));
	}
	if (p->udp)
		pkt_put16(p, p->l4 + 4, (uint16_t)(p->len - p->l4));
}
