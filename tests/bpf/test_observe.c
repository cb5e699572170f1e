// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The observer in the real kernel, one frame at a time (BPF_PROG_TEST_RUN):
 * for each case the verdict (always XDP_PASS), the class and event counters
 * that moved, and the port row and flow row written.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "observe/maps.h"
#include "pktbuild.h"
#include "view/portview.h"
#include "observe/replay.h"

#define IP 0x0800
#define IP6 0x86DD
#define Q 0x8100
#define AD 0x88A8
#define TCP 6
#define UDP 17
#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04
#define NONE PS_R_MAX

static struct harness H;

/* --- builders: each makes one frame; arg varies a field --------------- */

static void v4_tcp(struct pkt *p, int flags)
{
	pkt_eth(p, IP);
	pkt_ipv4(p, TCP, 5);
	pkt_tcp(p, 40000, 80, flags, 5);
	pkt_payload(p, 10);
	pkt_finish(p);
}

static void v4_udp(struct pkt *p, int arg)
{
	pkt_eth(p, IP);
	pkt_ipv4(p, UDP, 5);
	pkt_udp(p, 5353, 53);
	pkt_payload(p, 20 + arg);
	pkt_finish(p);
}

static void v6_tcp(struct pkt *p, int flags)
{
	pkt_eth(p, IP6);
	pkt_ipv6(p, TCP);
	pkt_tcp(p, 40001, 443, flags, 5);
	pkt_finish(p);
}

static void v6_udp(struct pkt *p, int arg)
{
	pkt_eth(p, IP6);
	pkt_ipv6(p, UDP);
	pkt_udp(p, 5000, 443);
	pkt_payload(p, 30 + arg);
	pkt_finish(p);
}

static void vlan_tcp(struct pkt *p, int arg)
{
	pkt_eth(p, Q);
	pkt_vlan(p, 10, IP);
	pkt_ipv4(p, TCP, 5);
	pkt_tcp(p, 40000, 80, SYN, 5);
	pkt_finish(p);
}

static void qinq_udp(struct pkt *p, int arg)
{
	pkt_eth(p, AD);
	pkt_vlan(p, 100, Q);
	pkt_vlan(p, 10, IP6);
	pkt_ipv6(p, UDP);
	pkt_udp(p, 5000, 443);
	pkt_finish(p);
}

static void vlan3(struct pkt *p, int arg)
{
	pkt_eth(p, AD);
	pkt_vlan(p, 100, Q);
	pkt_vlan(p, 10, Q);
	pkt_vlan(p, 11, IP);
	pkt_ipv4(p, UDP, 5);
	pkt_udp(p, 1, 2);
	pkt_finish(p);
}

static void vlan_cut(struct pkt *p, int arg)
{
	pkt_eth(p, Q);
	pkt_payload(p, 2);
}

static void v4_ihl(struct pkt *p, int ihl)
{
	pkt_eth(p, IP);
	pkt_ipv4(p, TCP, ihl);
	pkt_tcp(p, 40000, 80, SYN, 5);
	pkt_finish(p);
	p->b[p->l3] = 0x40 | ihl;	/* finish used 20 for IHL < 5 */
}

static void v4_ihl15_short(struct pkt *p, int arg)
{
	pkt_eth(p, IP);
	pkt_ipv4(p, TCP, 5);
	pkt_payload(p, 20);
	pkt_finish(p);
	p->b[p->l3] = 0x4f;		/* 60-byte header in a 40-byte packet */
}

static void v4_totlen(struct pkt *p, int delta)
{
	v4_tcp(p, ACK);
	pkt_put16(p, p->l3 + 2, (uint16_t)(pkt_get16(p, p->l3 + 2) + delta));
}

static void v4_padded(struct pkt *p, int arg)
{
	v4_tcp(p, ACK);
	pkt_payload(p, 18);		/* link-layer padding after the packet */
}

static void v4_frag(struct pkt *p, int frag_off)
{
	v4_tcp(p, SYN);
	pkt_put16(p, p->l3 + 6, (uint16_t)frag_off);
}

static void v4_bad_version(struct pkt *p, int arg)
{
	v4_tcp(p, SYN);
	p->b[p->l3] = 0x65;
}

/* IPv6 with n extension headers, a first fragment among them when n >= 5 */
static void v6_ext(struct pkt *p, int n)
{
	static const uint8_t chain[] = { 0, 60, 43, 51, 44, 60, 60, 60, 60, 60 };
	int i;

	pkt_eth(p, IP6);
	pkt_ipv6(p, n ? chain[0] : TCP);
	for (i = 0; i < n; i++) {
		uint8_t next = i + 1 < n ? chain[i + 1] : TCP;

		if (chain[i] == 44)
			pkt_frag6(p, next, 0, 1);
		else
			pkt_ext6(p, chain[i], next, chain[i] == 51 ? 4 : 1);
	}
	pkt_tcp(p, 40001, 443, SYN, 5);
	pkt_finish(p);
}

static void v6_ext_overrun(struct pkt *p, int arg)
{
	pkt_eth(p, IP6);
	pkt_ipv6(p, 0);
	pkt_ext6(p, 0, TCP, 0);
	pkt_finish(p);
	p->b[p->l3 + 41] = 10;		/* says 88 bytes, 8 are there */
}

static void v6_frag(struct pkt *p, int offset8)
{
	pkt_eth(p, IP6);
	pkt_ipv6(p, 44);
	pkt_frag6(p, UDP, offset8, 1);
	pkt_udp(p, 5000, 443);
	pkt_payload(p, 16);
	pkt_finish(p);
}

static void v6_l4(struct pkt *p, int nexthdr)
{
	pkt_eth(p, IP6);
	pkt_ipv6(p, nexthdr);
	pkt_payload(p, 24);
	pkt_finish(p);
}

static void v4_l4(struct pkt *p, int proto)
{
	pkt_eth(p, IP);
	pkt_ipv4(p, proto, 5);
	pkt_payload(p, 24);
	pkt_finish(p);
}

static void tcp_doff(struct pkt *p, int doff)
{
	pkt_eth(p, IP);
	pkt_ipv4(p, TCP, 5);
	pkt_tcp(p, 40000, 80, SYN, 5);
	pkt_finish(p);
	p->b[p->l4 + 12] = (uint8_t)(doff << 4);
}

static void cut_after(struct pkt *p, uint16_t type, int n)
{
	pkt_eth(p, type);
	pkt_payload(p, n);
}

static void cut_ip4(struct pkt *p, int n) { cut_after(p, IP, n); }
static void cut_ip6(struct pkt *p, int n) { cut_after(p, IP6, n); }
static void other_type(struct pkt *p, int type) { cut_after(p, type, 28); }

static void cut_l4(struct pkt *p, int proto)
{
	pkt_eth(p, IP);
	pkt_ipv4(p, proto, 5);
	pkt_payload(p, proto == TCP ? 12 : 4);
	pkt_finish(p);
}

static void jumbo(struct pkt *p, int family)
{
	if (family == 4)
		v4_tcp(p, ACK);
	else
		v6_udp(p, 0);
	pkt_payload(p, 9000 - p->len);
	pkt_finish(p);
}

/* --- the table --------------------------------------------------------- */

struct tcase {
	const char *name;
	void (*build)(struct pkt *p, int arg);
	int arg;
	int cls, event;
	uint8_t proto;
	uint16_t sport, dport;
	int syn, synack, fin, rst;	/* expected port counters */
};

static const struct tcase cases[] = {
	{ "ipv4 tcp syn", v4_tcp, SYN, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 1 },
	{ "ipv4 tcp syn-ack", v4_tcp, SYN | ACK, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 0, 1 },
	{ "ipv4 tcp fin", v4_tcp, FIN | ACK, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 0, 0, 1 },
	{ "ipv4 tcp rst", v4_tcp, RST, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 0, 0, 0, 1 },
	{ "ipv4 tcp ack", v4_tcp, ACK, PS_R_PARSED_OK, NONE, TCP, 40000, 80 },
	{ "ipv4 udp", v4_udp, 0, PS_R_PARSED_OK, NONE, UDP, 5353, 53 },
	{ "ipv6 tcp syn", v6_tcp, SYN, PS_R_PARSED_OK, NONE, TCP, 40001, 443, 1 },
	{ "ipv6 tcp rst-ack", v6_tcp, RST | ACK, PS_R_PARSED_OK, NONE, TCP, 40001, 443, 0, 0, 0, 1 },
	{ "ipv6 udp", v6_udp, 0, PS_R_PARSED_OK, NONE, UDP, 5000, 443 },
	{ "802.1Q tag", vlan_tcp, 0, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 1 },
	{ "QinQ (802.1ad + 802.1Q)", qinq_udp, 0, PS_R_PARSED_OK, NONE, UDP, 5000, 443 },
	{ "3 VLAN tags", vlan3, 0, PS_R_TOO_MANY_VLANS, NONE },
	{ "VLAN tag cut short", vlan_cut, 0, PS_R_TRUNC_VLAN, NONE },
	{ "ipv4 options (IHL 15)", v4_ihl, 15, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 1 },
	{ "ipv4 options (IHL 6)", v4_ihl, 6, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 1 },
	{ "IHL 0", v4_ihl, 0, PS_R_BAD_IHL, NONE },
	{ "IHL 1", v4_ihl, 1, PS_R_BAD_IHL, NONE },
	{ "IHL 2", v4_ihl, 2, PS_R_BAD_IHL, NONE },
	{ "IHL 3", v4_ihl, 3, PS_R_BAD_IHL, NONE },
	{ "IHL 4", v4_ihl, 4, PS_R_BAD_IHL, NONE },
	{ "IHL 15 in a short packet", v4_ihl15_short, 0, PS_R_TRUNC_IPV4, NONE },
	{ "tot_len past the frame", v4_totlen, 1, PS_R_BAD_IP_LEN, NONE },
	{ "tot_len below the header", v4_totlen, -40, PS_R_BAD_IP_LEN, NONE },
	{ "tot_len ends inside TCP", v4_totlen, -25, PS_R_TRUNC_TCP, NONE },
	{ "tot_len below the frame (padding)", v4_padded, 0, PS_R_PARSED_OK, NONE, TCP, 40000, 80 },
	{ "ipv4 first fragment", v4_frag, 0x2000, PS_R_PARSED_OK, PS_R_IPV4_FRAG_FIRST, TCP, 40000, 80, 1 },
	{ "ipv4 later fragment", v4_frag, 0x2000 | 185, PS_R_IPV4_FRAG_LATER, NONE },
	{ "ipv4 last fragment", v4_frag, 185, PS_R_IPV4_FRAG_LATER, NONE },
	{ "ipv4 DF set", v4_frag, 0x4000, PS_R_PARSED_OK, NONE, TCP, 40000, 80, 1 },
	{ "IP version 6 in an IPv4 ethertype", v4_bad_version, 0, PS_R_BAD_IP_VERSION, NONE },
	{ "ipv6 1 extension header", v6_ext, 1, PS_R_PARSED_OK, NONE, TCP, 40001, 443, 1 },
	{ "ipv6 6 extension headers", v6_ext, 6, PS_R_PARSED_OK, PS_R_IPV6_FRAG_FIRST, TCP, 40001, 443, 1 },
	{ "ipv6 8 extension headers", v6_ext, 8, PS_R_PARSED_OK, PS_R_IPV6_FRAG_FIRST, TCP, 40001, 443, 1 },
	{ "ipv6 9 extension headers", v6_ext, 9, PS_R_TOO_MANY_EXTHDRS, NONE },
	{ "extension header past the end", v6_ext_overrun, 0, PS_R_TRUNC_EXTHDR, NONE },
	{ "ipv6 first fragment", v6_frag, 0, PS_R_PARSED_OK, PS_R_IPV6_FRAG_FIRST, UDP, 5000, 443 },
	{ "ipv6 later fragment", v6_frag, 100, PS_R_IPV6_FRAG_LATER, NONE },
	{ "ipv6 no next header", v6_l4, 59, PS_R_IPV6_NO_NEXT, NONE },
	{ "icmpv6", v6_l4, 58, PS_R_ICMPV6, NONE },
	{ "icmp", v4_l4, 1, PS_R_ICMP, NONE },
	{ "gre (other L4)", v4_l4, 47, PS_R_OTHER_L4, NONE },
	{ "sctp over ipv6 (other L4)", v6_l4, 132, PS_R_OTHER_L4, NONE },
	{ "TCP doff 4", tcp_doff, 4, PS_R_BAD_TCP_DOFF, NONE },
	{ "TCP doff 0", tcp_doff, 0, PS_R_BAD_TCP_DOFF, NONE },
	{ "TCP doff 15 in a short segment", tcp_doff, 15, PS_R_TRUNC_TCP, NONE },
	{ "14 bytes, ethertype IPv4", cut_ip4, 0, PS_R_TRUNC_IPV4, NONE },
	{ "truncated in the IPv4 header", cut_ip4, 10, PS_R_TRUNC_IPV4, NONE },
	{ "truncated in the IPv6 header", cut_ip6, 20, PS_R_TRUNC_IPV6, NONE },
	{ "truncated in TCP", cut_l4, TCP, PS_R_TRUNC_TCP, NONE },
	{ "truncated in UDP", cut_l4, UDP, PS_R_TRUNC_UDP, NONE },
	{ "ARP", other_type, 0x0806, PS_R_ARP, NONE },
	{ "LLDP (non-IP)", other_type, 0x88CC, PS_R_NON_IP, NONE },
	{ "jumbo ipv4 tcp 9000 bytes", jumbo, 4, PS_R_PARSED_OK, NONE, TCP, 40000, 80 },
	{ "jumbo ipv6 udp 9000 bytes", jumbo, 6, PS_R_PARSED_OK, NONE, UDP, 5000, 443 },
};

static void check_case(struct harness *h, const struct tcase *c)
{
	struct observed o;
	struct pkt p;
	int family;

	pkt_init(&p);
	c->build(&p, c->arg);
	family = p.family;
	assert_int_equal(harness_run(h, p.b, p.len, &o), 0);
	assert_int_equal(o.verdict, 2 /* XDP_PASS */);
	assert_int_equal(o.cls, c->cls);
	assert_int_equal(o.event, c->event);
	if (c->cls != PS_R_PARSED_OK) {
		assert_int_equal(o.nports, 0);
		assert_int_equal(o.nflows, 0);
		assert_int_equal(o.flow_new, 0);
		return;
	}
	/* one port row: (proto, dport), the whole frame counted */
	assert_int_equal(o.nports, 1);
	assert_int_equal(o.port.key.proto, c->proto);
	assert_int_equal(o.port.key.port, c->dport);
	assert_int_equal(o.port.st.packets, 1);
	assert_int_equal(o.port.st.bytes, p.len);
	assert_int_equal(o.port.st.syn, c->syn);
	assert_int_equal(o.port.st.synack, c->synack);
	assert_int_equal(o.port.st.fin, c->fin);
	assert_int_equal(o.port.st.rst, c->rst);
	/* one flow row: the 5-tuple */
	assert_int_equal(o.nflows, 1);
	assert_int_equal(o.flow_new, 1);
	assert_int_equal(o.flow.key.family, family);
	assert_int_equal(o.flow.key.proto, c->proto);
	assert_int_equal(o.flow.key.sport, c->sport);
	assert_int_equal(o.flow.key.dport, c->dport);
	assert_memory_equal(o.flow.key.saddr, family == 4 ? PKT_SRC4 : PKT_SRC6, family == 4 ? 4 : 16);
	assert_memory_equal(o.flow.key.daddr, family == 4 ? PKT_DST4 : PKT_DST6, family == 4 ? 4 : 16);
	assert_int_equal(o.flow.st.packets, 1);
	assert_int_equal(o.flow.st.bytes, p.len);
	assert_int_equal(o.flow.st.tcp_flags, c->proto == TCP ? p.b[p.l4 + 13] : 0);
	assert_true(o.flow.st.first_ns > 0 && o.flow.st.last_ns >= o.flow.st.first_ns);
}

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("  case %-40s\n", cases[i].name);
		check_case(&H, &cases[i]);
	}
	print_message("  %zu cases\n", i);
}

/* The program older kernels get (bpf_xdp_adjust_head moves): the same table. */
static void test_table_inplace(void **state)
{
	struct observer_opts oo = { .inplace = 1 };
	struct harness h;
	size_t i;

	(void)state;
	assert_int_equal(harness_open(&h, &oo), 0);
	assert_string_equal(bpf_program__name(h.ob.prog), "observe_inplace");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cases[i].build != jumbo)	/* no multi-buffer frames before 5.18 */
			check_case(&h, &cases[i]);
	harness_close(&h);
}

/*
 * Replay: a frame as a capture holds it (cap bytes of it, 0: all), with its
 * length on the wire beside it. Counted as the frame on the wire (bytes =
 * wire) unless the cut is inside its headers; IPv4 tot_len 0 (TSO, on the
 * sending host) is bounded by the wire length; an IPv6 jumbogram too.
 */
struct rcase {
	const char *name;
	void (*build)(struct pkt *p, int arg);
	int arg;
	size_t cap, wire;	/* 0: the frame's length */
	int cls;		/* with the wire length */
	int live_cls;		/* the same bytes on a live interface */
};

static void v4_tcp_1000(struct pkt *p, int flags)
{
	v4_tcp(p, flags);
	pkt_payload(p, 990);
	pkt_finish(p);
}

static void v4_tso(struct pkt *p, int arg)
{
	jumbo(p, 4);
	pkt_put16(p, p->l3 + 2, (uint16_t)arg);	/* tot_len 0, as TSO sends it */
}

static void v6_jumbogram(struct pkt *p, int arg)
{
	(void)arg;
	pkt_eth(p, IP6);
	pkt_ipv6(p, 0);
	pkt_bytes(p, (const uint8_t[]){ TCP, 0, 0xc2, 4, 0, 0, 0, 0 }, 8);	/* HBH: Jumbo */
	pkt_tcp(p, 40001, 443, ACK, 5);
	pkt_payload(p, 12000);
	pkt_finish(p);
	pkt_put16(p, p->l3 + 4, 0);	/* payload_len 0: the Jumbo option says */
}

static const struct rcase rcases[] = {
	{ "cut after 96 bytes (snap length)", v4_tcp_1000, ACK, 96, 0, PS_R_PARSED_OK, PS_R_BAD_IP_LEN },
	{ "cut inside the TCP header", v4_tcp_1000, ACK, 40, 0, PS_R_TRUNC_TCP, PS_R_BAD_IP_LEN },
	{ "cut inside the IPv4 header", v4_tcp_1000, ACK, 30, 0, PS_R_TRUNC_IPV4, PS_R_TRUNC_IPV4 },
	{ "whole frame, wire length given", v4_tcp_1000, ACK, 0, 0, PS_R_PARSED_OK, PS_R_PARSED_OK },
	{ "IPv4 tot_len 0 (TSO)", v4_tso, 0, 0, 0, PS_R_PARSED_OK, PS_R_BAD_IP_LEN },
	{ "IPv4 tot_len 0, cut", v4_tso, 0, 128, 0, PS_R_PARSED_OK, PS_R_BAD_IP_LEN },
	{ "IPv6 jumbogram", v6_jumbogram, 0, 0, 0, PS_R_PARSED_OK, PS_R_PARSED_OK },
	{ "IPv6 jumbogram past the kernel's limit", v6_jumbogram, 0, 0, 80054, PS_R_PARSED_OK,
	  PS_R_PARSED_OK },
};

static void check_rcase(struct harness *live, struct harness *rh, const struct rcase *c)
{
	struct observed o;
	struct pkt p;
	size_t cap, wire;

	pkt_init(&p);
	c->build(&p, c->arg);
	cap = c->cap ? c->cap : p.len;
	wire = c->wire ? c->wire : p.len;
	rh->wire = wire;
	assert_int_equal(harness_run(rh, p.b, cap, &o), 0);
	assert_int_equal(o.cls, c->cls);
	if (c->cls == PS_R_PARSED_OK) {
		assert_int_equal(o.port.st.bytes, wire);
		assert_int_equal(o.flow.st.bytes, wire);
	}
	assert_int_equal(harness_run(live, p.b, cap, &o), 0);
	assert_int_equal(o.cls, c->live_cls);
}

static void test_replay_wire(void **state)
{
	struct observer_opts oo = { .replay = 1 };
	struct harness rh;
	size_t i;

	(void)state;
	assert_int_equal(harness_open(&rh, &oo), 0);
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		print_message("  replay %-40s\n", rcases[i].name);
		check_rcase(&H, &rh, &rcases[i]);
	}
	harness_close(&rh);
}

/* The kernel's test_run limit, probed: a frame of it runs, one more does not. */
static void test_max_frame(void **state)
{
	uint32_t max = replay_max_frame(H.ob.has_frags);
	uint8_t *b = calloc(1, max + 8);

	(void)state;
	assert_non_null(b);
	assert_true(max >= 1500);
	b[12] = 0x08;
	assert_int_equal(replay_frame_wire(bpf_program__fd(H.ob.prog), b, max, 0), 2);
	assert_true(replay_frame(bpf_program__fd(H.ob.prog), b, max + 8) < 0);
	print_message("  test_run takes up to %u bytes (+4 of metadata)\n", max);
	free(b);
}

/* Frames under 14 bytes never reach the program: test_run refuses them,
 * which is why replay counts them itself as runts. */
static void test_runt_refused(void **state)
{
	uint8_t b[13] = {};
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(b); n++)
		assert_true(replay_frame(bpf_program__fd(H.ob.prog), b, n) < 0);
}

/* Packets of one connection accumulate on one flow and one port row. */
static void test_flow_accumulates(void **state)
{
	static const int flags[] = { SYN, ACK, ACK | 0x08, FIN | ACK, RST };
	int fd = bpf_program__fd(H.ob.prog);
	struct snapshot s;
	struct pkt p;
	size_t i, bytes = 0;

	(void)state;
	for (i = 0; i < 5; i++) {
		pkt_init(&p);
		v4_tcp(&p, flags[i]);
		bytes += p.len;
		assert_int_equal(replay_frame(fd, p.b, p.len), 2);
	}
	assert_int_equal(snapshot_read(&H.fds, &s), 0);
	assert_int_equal(s.nflows, 1);
	assert_int_equal(s.flows[0].st.packets, 5);
	assert_int_equal(s.flows[0].st.bytes, bytes);
	assert_int_equal(s.flows[0].st.tcp_flags, SYN | ACK | 0x08 | FIN | RST);
	assert_int_equal(s.nports, 1);
	assert_int_equal(s.ports[0].st.packets, 5);
	assert_int_equal(s.ports[0].st.syn, 1);
	assert_int_equal(s.ports[0].st.fin, 1);
	assert_int_equal(s.ports[0].st.rst, 1);
	snapshot_free(&s);
	assert_int_equal(harness_clear(&H), 0);
}

/* TCP/80 and UDP/80 are different ports. */
static void test_tcp_udp_same_number(void **state)
{
	int fd = bpf_program__fd(H.ob.prog);
	struct snapshot s;
	struct pkt p;

	(void)state;
	pkt_init(&p);
	v4_tcp(&p, SYN);
	assert_int_equal(replay_frame(fd, p.b, p.len), 2);
	pkt_init(&p);
	pkt_eth(&p, IP);
	pkt_ipv4(&p, UDP, 5);
	pkt_udp(&p, 40000, 80);
	pkt_finish(&p);
	assert_int_equal(replay_frame(fd, p.b, p.len), 2);
	assert_int_equal(snapshot_read(&H.fds, &s), 0);
	assert_int_equal(s.nports, 2);
	assert_int_equal(s.ports[0].key.port, 80);
	assert_int_equal(s.ports[1].key.port, 80);
	assert_int_not_equal(s.ports[0].key.proto, s.ports[1].key.proto);
	assert_int_equal(s.nflows, 2);
	snapshot_free(&s);
	assert_int_equal(harness_clear(&H), 0);
}

/*
 * Counters seeded 3 short of 2^64 on every CPU wrap under the real program;
 * the view's rate across the wrap is exact (see counter_rate).
 */
static void test_counter_wrap(void **state)
{
	int fd = bpf_program__fd(H.ob.prog);
	int i, ncpus = libbpf_num_possible_cpus();
	struct ps_port_key key = { .port = 80, .proto = TCP };
	struct ps_port_stats *vals = calloc(ncpus, sizeof(*vals));
	struct snapshot before, after;
	struct pkt p;

	(void)state;
	assert_non_null(vals);
	pkt_init(&p);
	v4_tcp(&p, SYN);
	assert_int_equal(replay_frame(fd, p.b, p.len), 2);	/* the row exists */
	for (i = 0; i < ncpus; i++) {
		vals[i].packets = vals[i].syn = ~0ULL - 2;
		vals[i].bytes = ~0ULL - p.len;
	}
	assert_int_equal(bpf_map_update_elem(H.fds.ports, &key, vals, BPF_EXIST), 0);
	assert_int_equal(snapshot_read(&H.fds, &before), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(replay_frame(fd, p.b, p.len), 2);
	assert_int_equal(snapshot_read(&H.fds, &after), 0);
	assert_int_equal(after.nports, 1);
	assert_true(after.ports[0].st.packets < before.ports[0].st.packets);	/* it wrapped */
	assert_true(counter_rate(after.ports[0].st.packets, before.ports[0].st.packets, 1) == 10);
	assert_true(counter_rate(after.ports[0].st.syn, before.ports[0].st.syn, 2) == 5);
	assert_true(counter_rate(after.ports[0].st.bytes, before.ports[0].st.bytes, 1) == 10.0 * p.len);
	snapshot_free(&before);
	snapshot_free(&after);
	free(vals);
	assert_int_equal(harness_clear(&H), 0);
}

/* Only ports in the filter are counted; others are passed and named. */
static void test_port_filter(void **state)
{
	static const uint16_t ports[] = { 80, 5353 };
	struct observer_opts oo = { .ports = ports, .nports = 2 };
	struct harness h;
	struct observed o;
	struct pkt p;

	(void)state;
	assert_int_equal(harness_open(&h, &oo), 0);
	pkt_init(&p);
	v4_tcp(&p, SYN);		/* dport 80: counted */
	assert_int_equal(harness_run(&h, p.b, p.len, &o), 0);
	assert_int_equal(o.cls, PS_R_PARSED_OK);
	assert_int_equal(o.nports, 1);
	pkt_init(&p);
	v6_tcp(&p, SYN);		/* dport 443: filtered */
	assert_int_equal(harness_run(&h, p.b, p.len, &o), 0);
	assert_int_equal(o.verdict, 2);
	assert_int_equal(o.cls, PS_R_PORT_FILTERED);
	assert_int_equal(o.nports, 0);
	assert_int_equal(o.nflows, 0);
	harness_close(&h);
}

/* A full flow table evicts (LRU) and says so; port counters stay exact. */
static void test_flow_table_full(void **state)
{
	struct observer_opts oo = { .flow_entries = 256 };
	struct harness h;
	struct snapshot s;
	struct pkt p;
	int i, fd;

	(void)state;
	assert_int_equal(harness_open(&h, &oo), 0);
	fd = bpf_program__fd(h.ob.prog);
	for (i = 0; i < 5000; i++) {
		pkt_init(&p);
		v4_tcp(&p, SYN);
		pkt_put16(&p, p.l4, (uint16_t)(10000 + i));	/* a new source port */
		assert_int_equal(replay_frame(fd, p.b, p.len), 2);
	}
	assert_int_equal(snapshot_read(&h.fds, &s), 0);
	assert_true(s.nflows <= 256 && s.nflows > 0);
	assert_int_equal(s.flow_capacity, 256);
	assert_int_equal(s.reasons[PS_R_FLOW_NEW] + s.reasons[PS_R_FLOW_INSERT_FAIL], 5000);
	assert_int_equal(s.nports, 1);
	assert_int_equal(s.ports[0].st.packets, 5000);
	assert_int_equal(s.ports[0].st.syn, 5000);
	print_message("  256-entry table after 5000 flows: %zu entries, %llu evicted, %llu insert failures\n",
		      s.nflows, (unsigned long long)(s.reasons[PS_R_FLOW_NEW] - s.nflows),
		      (unsigned long long)s.reasons[PS_R_FLOW_INSERT_FAIL]);
	snapshot_free(&s);
	harness_close(&h);
}

static int setup(void **state)
{
	struct observer_opts oo = {};

	(void)state;
	return harness_open(&H, &oo);
}

static int teardown(void **state)
{
	(void)state;
	harness_close(&H);
	return 0;
}

/*
 * test_observe --corpus DIR: the table's frames as DIR/corpus.pcap (Ethernet)
 * and, a line per frame, DIR/corpus.expect: "CLASS EVENT|- NAME". The wire
 * test (tests/e2e/test_wire.sh) sends them over a veth pair.
 */
static int write_corpus(const char *dir)
{
	struct { uint32_t magic; uint16_t major, minor; int32_t zone;
		 uint32_t sigfigs, snaplen, linktype; } fh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	struct { uint32_t sec, usec, caplen, len; } rh = { 0 };
	char path[4096];
	FILE *pcap, *exp;
	struct pkt p;
	size_t i;

	snprintf(path, sizeof(path), "%s/corpus.pcap", dir);
	pcap = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/corpus.expect", dir);
	exp = fopen(path, "w");
	if (!pcap || !exp)
		return 1;
	fwrite(&fh, sizeof(fh), 1, pcap);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pkt_init(&p);
		cases[i].build(&p, cases[i].arg);
		rh.caplen = rh.len = p.len;
		fwrite(&rh, sizeof(rh), 1, pcap);
		fwrite(p.b, 1, p.len, pcap);
		fprintf(exp, "%s %s %s\n", reason_name(cases[i].cls),
			cases[i].event == NONE ? "-" : reason_name(cases[i].event), cases[i].name);
	}
	return fclose(pcap) | fclose(exp);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_inplace),
		cmocka_unit_test(test_replay_wire),
		cmocka_unit_test(test_max_frame),
		cmocka_unit_test(test_runt_refused),
		cmocka_unit_test(test_flow_accumulates),
		cmocka_unit_test(test_tcp_udp_same_number),
		cmocka_unit_test(test_port_filter),
		cmocka_unit_test(test_counter_wrap),
		cmocka_unit_test(test_flow_table_full),
	};

	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	if (!harness_can_run()) {
		fprintf(stderr, "test_observe: needs root to load BPF programs\n");
		return 1;
	}
	return cmocka_run_group_tests_name("observer (BPF_PROG_TEST_RUN)", tests, setup, teardown);
}
