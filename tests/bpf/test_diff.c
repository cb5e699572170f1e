// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Differential test: random and mutated frames (seeded, reproducible) run
 * through the real observer and through the reference classifier in
 * tests/lib/refparse.c; every frame's class, event, 5-tuple, TCP flags and
 * byte count must agree.
 *
 *   PS_DIFF_PACKETS=N (default 1000000)   PS_DIFF_SEED=S (default 1)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"
#include "pktbuild.h"
#include "refparse.h"

static uint64_t rng;

static uint64_t rnd(void)	/* xorshift64* */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned rn(unsigned n)	/* 0 .. n-1 */
{
	return (unsigned)(rnd() >> 33) % n;
}

static int chance(unsigned pct)
{
	return rn(100) < pct;
}

static void rnd_bytes(uint8_t *b, size_t n)
{
	while (n--)
		*b++ = (uint8_t)rnd();
}

static const uint8_t ext6[] = { 0, 43, 44, 51, 60 };
static const uint8_t l4s[] = { 6, 6, 6, 17, 17, 17, 1, 58, 59, 47, 132 };

static void gen_l4(struct pkt *p, uint8_t proto)
{
	if (proto == 6)
		pkt_tcp(p, (uint16_t)rnd(), (uint16_t)rnd(), (uint8_t)rnd(),
			chance(85) ? 5 + (int)rn(4) : (int)rn(16));
	else if (proto == 17)
		pkt_udp(p, (uint16_t)rnd(), (uint16_t)rnd());
	pkt_payload(p, rn(200));
}

static void gen_ipv4(struct pkt *p)
{
	uint8_t proto = l4s[rn(sizeof(l4s))];
	int ihl = chance(80) ? 5 : chance(80) ? 6 + (int)rn(10) : (int)rn(5);

	pkt_ipv4(p, proto, ihl);
	rnd_bytes(p->b + p->l3 + 12, 8);
	gen_l4(p, proto);
	pkt_finish(p);
	if (ihl < 5)
		p->b[p->l3] = (uint8_t)(0x40 | ihl);
	if (chance(15))		/* MF, DF, offsets */
		pkt_put16(p, p->l3 + 6, (uint16_t)(chance(50) ? 0x2000 : rnd()));
	if (chance(10))
		pkt_put16(p, p->l3 + 2, (uint16_t)rn(p->len - p->l3 + 64));
}

static void gen_ipv6(struct pkt *p)
{
	uint8_t last = l4s[rn(sizeof(l4s))], chain[12];
	unsigned i, n = chance(50) ? 0 : rn(11);

	for (i = 0; i < n; i++)
		chain[i] = ext6[rn(sizeof(ext6))];
	pkt_ipv6(p, n ? chain[0] : last);
	rnd_bytes(p->b + p->l3 + 8, 32);
	for (i = 0; i < n; i++) {
		uint8_t next = i + 1 < n ? chain[i + 1] : last;

		if (chain[i] == 44)
			pkt_frag6(p, next, (uint16_t)(chance(70) ? 0 : rn(8192)), (int)rn(2));
		else
			pkt_ext6(p, chain[i], next, (uint8_t)rn(4));
	}
	gen_l4(p, last);
	pkt_finish(p);
	if (chance(10))
		pkt_put16(p, p->l3 + 4, (uint16_t)rn(p->len - p->l3 + 64));
}

static void gen_frame(struct pkt *p)
{
	static const uint16_t types[] = { 0x0800, 0x86DD, 0x0806, 0x88CC, 0x8100, 0x88A8 };
	unsigned tags = chance(70) ? 0 : rn(4), i;
	uint16_t type = chance(90) ? (chance(50) ? 0x0800 : 0x86DD) : types[rn(6)];

	pkt_init(p);
	pkt_eth(p, tags ? (chance(50) ? 0x8100 : 0x88A8) : type);
	for (i = 0; i < tags; i++)
		pkt_vlan(p, (uint16_t)rnd(), i + 1 < tags ? 0x8100 : type);
	if (type == 0x0800)
		gen_ipv4(p);
	else if (type == 0x86DD)
		gen_ipv6(p);
	else
		pkt_payload(p, rn(64));
	if (chance(10))
		pkt_payload(p, rn(40));			/* link padding */
	if (chance(25)) {				/* flip header bytes */
		for (i = 1 + rn(4); i; i--)
			p->b[rn(p->len < 120 ? (unsigned)p->len : 120)] ^= (uint8_t)(1 + rn(255));
	}
	if (chance(25))					/* cut anywhere */
		p->len = 14 + rn((unsigned)p->len - 13);
}

/* Replay: a frame is given as captured (cut anywhere, or whole) with its
 * wire length; some IPv4 frames get tot_len 0, as TSO frames on a sender. */
static size_t replay_cut(struct pkt *p, size_t *wire)
{
	size_t off = 14;

	while (off + 4 <= p->len && (p->b[off - 2] == 0x81 || p->b[off - 2] == 0x88) &&
	       p->b[off - 1] == 0x00)
		off += 4;	/* past VLAN tags, to the IP header */
	if (chance(10) && off + 4 <= p->len && p->b[off - 2] == 0x08 && p->b[off - 1] == 0x00)
		p->b[off + 2] = p->b[off + 3] = 0;
	*wire = p->len + (chance(20) ? rn(70000) : 0);
	return chance(50) ? 14 + rn((unsigned)p->len - 13) : p->len;
}

static void differential(unsigned long n, int inplace, int replay)
{
	unsigned long i, bad = 0;
	unsigned long classes[PS_R_MAX] = {};
	struct observer_opts oo = { .inplace = inplace, .replay = replay };
	size_t cap, wire;
	const char *e;
	struct harness h;
	struct ref_result ref;
	struct observed o;
	struct pkt p;
	int r;

	e = getenv("PS_DIFF_SEED");
	rng = e ? strtoull(e, NULL, 10) * 0x9E3779B97F4A7C15ULL + 1 : 0x9E3779B97F4A7C16ULL;
	assert_int_equal(harness_open(&h, &oo), 0);
	print_message("  program %s\n", bpf_program__name(h.ob.prog));
	for (i = 0; i < n; i++) {
		gen_frame(&p);
		cap = wire = p.len;
		if (replay)
			cap = replay_cut(&p, &wire);
		ref_parse_wire(p.b, cap, wire, replay, &ref);
		h.wire = replay ? wire : 0;
		assert_int_equal(harness_run_key(&h, p.b, cap, &ref.key, &o), 0);
		classes[ref.cls]++;
		if (o.verdict == 2 && o.cls == ref.cls && o.event == ref.event &&
		    (ref.cls != PS_R_PARSED_OK ||
		     (o.nflows == 1 && o.nports == 1 && o.flow_new == 1 &&
		      !memcmp(&o.flow.key, &ref.key, sizeof(ref.key)) &&
		      o.flow.st.tcp_flags == (ref.key.proto == 6 ? ref.tcp_flags : 0) &&
		      o.flow.st.bytes == wire && o.port.st.bytes == wire &&
		      o.port.key.port == ref.key.dport && o.port.key.proto == ref.key.proto)) &&
		    (ref.cls == PS_R_PARSED_OK || o.flow_new == 0))
			continue;
		if (bad++ < 5) {
			print_message("DISAGREE frame %lu (len %zu of %zu): ref %s/%d, bpf %d/%d\n", i,
				      cap, wire, reason_name(ref.cls), ref.event, o.cls, o.event);
			for (size_t k = 0; k < cap && k < 96; k++)
				print_message("%02x%s", p.b[k], k % 32 == 31 ? "\n" : "");
			print_message("\n");
		}
	}
	harness_close(&h);
	print_message("  %lu frames compared, %lu disagreements\n", n, bad);
	for (r = 0; r < PS_R_MAX; r++)
		if (classes[r])
			print_message("    %-24s %8lu\n", reason_name(r), classes[r]);
	assert_int_equal(bad, 0);
}

static unsigned long packets(unsigned long dflt)
{
	const char *e = getenv("PS_DIFF_PACKETS");

	return e ? strtoul(e, NULL, 10) : dflt;
}

static void test_differential(void **state)
{
	(void)state;
	differential(packets(1000000), 0, 0);
}

/* the program older kernels get (headers past fixed offsets, and the
 * frame's length, reached by moving the frame's start): same answers */
static void test_differential_inplace(void **state)
{
	(void)state;
	differential(packets(1000000) / 5, 1, 0);
}

/* replay: frames cut by a snap length or the kernel's limit, with their
 * wire length beside them; IPv4 TSO frames (tot_len 0) */
static void test_differential_replay(void **state)
{
	(void)state;
	differential(packets(1000000) / 5, 0, 1);
}

/* both: replay's metadata must not ride over the frame with the moves */
static void test_differential_inplace_replay(void **state)
{
	(void)state;
	differential(packets(1000000) / 5, 1, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_differential_inplace),
		cmocka_unit_test(test_differential_replay),
		cmocka_unit_test(test_differential_inplace_replay),
	};

	if (!harness_can_run()) {
		fprintf(stderr, "test_diff: needs root to load BPF programs\n");
		return 1;
	}
	return cmocka_run_group_tests_name("differential: BPF parser vs reference", tests, NULL, NULL);
}
