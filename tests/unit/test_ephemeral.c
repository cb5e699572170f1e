// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ephemeral model (sockets/ephemeral.c) on socket tables built here:
 * the range, reserved ports, parity, ports bind() holds, TIME_WAIT and
 * tcp_tw_reuse, the server's side left out, UDP, v4-mapped sockets keyed
 * as IPv4, the destination asked for with no socket, and the rates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "sockets/ephemeral.h"

#define LO 40000
#define HI 40009	/* 10 ports: 5 even, 5 odd */

static struct eph_sysctl sc;

static void range(int tw_reuse)
{
	memset(&sc, 0, sizeof(sc));
	sc.lo = LO;
	sc.hi = HI;
	sc.tw_reuse = tw_reuse;
}

/* A socket: proto, state, local a:port, remote r:rport (IPv4). */
static struct sock_info sk(__u8 proto, __u8 state, const char *a, __u16 port, const char *r,
			   __u16 rport)
{
	struct sock_info s = { .proto = proto, .family = AF_INET, .state = state, .port = port,
			       .rport = rport, .inode = port };

	inet_pton(AF_INET, a, s.addr);
	inet_pton(AF_INET, r, s.raddr);
	return s;
}

static const struct eph_dest *dest(const struct eph_view *v, __u8 proto, const char *r, __u16 rport)
{
	__u32 a[4] = {};

	inet_pton(AF_INET, r, a);
	return eph_find(v, proto, a, rport);
}

static void test_reserved(void **state)
{
	__u64 b[1024];

	(void)state;
	assert_int_equal(eph_parse_reserved("1000-1002,2000\n", b), 0);
	assert_true(b[1000 / 64] >> (1000 % 64) & 1);
	assert_true(b[1002 / 64] >> (1002 % 64) & 1);
	assert_false(b[1003 / 64] >> (1003 % 64) & 1);
	assert_true(b[2000 / 64] >> (2000 % 64) & 1);
	assert_int_equal(eph_parse_reserved("\n", b), 0);
	assert_int_equal(eph_parse_reserved("5-3", b), -EINVAL);
	assert_int_equal(eph_parse_reserved("70000", b), -EINVAL);
	assert_int_equal(eph_parse_reserved("1,x", b), -EINVAL);
}

/* 4 connections on even ports: 6 free, 1 even and 5 odd; 40% used */
static void test_even_first(void **state)
{
	struct sock_info s[4];
	struct eph_filter f = {};
	struct eph_view v;
	const struct eph_dest *d;
	int i;

	(void)state;
	range(2);
	for (i = 0; i < 4; i++)
		s[i] = sk(IPPROTO_TCP, 1, "10.0.0.2", LO + 2 * i, "10.0.0.1", 80);
	assert_int_equal(eph_build(&v, &sc, s, 4, NULL, &f), 0);
	assert_int_equal(v.usable, 10);
	assert_int_equal(v.even, 5);
	d = dest(&v, IPPROTO_TCP, "10.0.0.1", 80);
	assert_non_null(d);
	assert_int_equal(d->sockets, 4);
	assert_int_equal(d->state[1], 4);
	assert_int_equal(d->ports, 4);
	assert_int_equal(d->free, 6);
	assert_int_equal(d->free_even, 1);
	assert_int_equal(d->free_odd, 5);
	assert_true(d->used > 0.399 && d->used < 0.401);
	eph_free(&v);
}

/* TIME_WAIT holds its port unless tcp_tw_reuse (1, or 2 on loopback) */
static void test_time_wait(void **state)
{
	struct sock_info s[2];
	struct eph_filter f = {};
	struct eph_view v;

	(void)state;
	s[0] = sk(IPPROTO_TCP, 1, "10.0.0.2", LO, "10.0.0.1", 80);
	s[1] = sk(IPPROTO_TCP, 6, "10.0.0.2", LO + 1, "10.0.0.1", 80);
	range(2);
	assert_int_equal(eph_build(&v, &sc, s, 2, NULL, &f), 0);
	assert_int_equal(dest(&v, IPPROTO_TCP, "10.0.0.1", 80)->free, 8);
	assert_int_equal(dest(&v, IPPROTO_TCP, "10.0.0.1", 80)->state[6], 1);
	eph_free(&v);
	range(1);
	assert_int_equal(eph_build(&v, &sc, s, 2, NULL, &f), 0);
	assert_int_equal(dest(&v, IPPROTO_TCP, "10.0.0.1", 80)->free, 9);
	eph_free(&v);
	s[1] = sk(IPPROTO_TCP, 6, "127.0.0.1", LO + 1, "127.0.0.1", 80);
	range(2);
	assert_int_equal(eph_build(&v, &sc, s, 2, NULL, &f), 0);
	assert_int_equal(dest(&v, IPPROTO_TCP, "127.0.0.1", 80)->free, 10);
	eph_free(&v);
}

/* listeners, bound-only sockets, reserved ports and the bind buckets take
 * ports from every destination; the listener's accepted sockets are not
 * client rows */
static void test_held(void **state)
{
	struct sock_info s[4];
	struct eph_filter f = {};
	struct eph_view v;
	__u64 held[1024] = {};
	const struct eph_dest *d;

	(void)state;
	range(2);
	sc.reserved[(HI) / 64] |= 1ULL << (HI % 64);
	s[0] = sk(IPPROTO_TCP, 10, "0.0.0.0", LO + 8, "0.0.0.0", 0);	/* LISTEN */
	s[1] = sk(IPPROTO_TCP, 1, "10.0.0.2", LO + 8, "10.0.0.9", 5555);	/* accepted */
	s[2] = sk(IPPROTO_TCP, 7, "0.0.0.0", LO + 6, "0.0.0.0", 0);	/* bound only */
	s[3] = sk(IPPROTO_TCP, 1, "10.0.0.2", LO + 3, "10.0.0.1", 80);	/* bound, then connected */
	held[LO / 64] |= 1ULL << ((LO + 3) % 64);
	assert_int_equal(eph_build(&v, &sc, s, 4, held, &f), 0);
	assert_int_equal(v.usable, 9);
	assert_int_equal(v.held_tcp, 3);
	assert_true(v.held_exact);
	assert_int_equal(v.n, 1);
	d = dest(&v, IPPROTO_TCP, "10.0.0.1", 80);
	assert_non_null(d);
	assert_int_equal(d->free, 6);	/* 9 usable - 3 held; its own port is one of them */
	assert_null(dest(&v, IPPROTO_TCP, "10.0.0.9", 5555));
	eph_free(&v);
	assert_int_equal(eph_build(&v, &sc, s, 4, NULL, &f), 0);	/* no bucket scan */
	assert_int_equal(v.held_tcp, 2);
	assert_false(v.held_exact);
	assert_int_equal(dest(&v, IPPROTO_TCP, "10.0.0.1", 80)->free, 6);	/* 9 - 2 - its own */
	eph_free(&v);
}

/* UDP: every bound socket holds its port for all; a v4-mapped IPv6 socket
 * shares the IPv4 destination's row */
static void test_udp_and_mapped(void **state)
{
	struct sock_info s[4];
	struct eph_filter f = {};
	struct eph_view v;
	const struct eph_dest *d;

	(void)state;
	range(2);
	s[0] = sk(IPPROTO_UDP, 1, "10.0.0.2", LO, "10.0.0.1", 53);
	s[1] = sk(IPPROTO_UDP, 7, "0.0.0.0", LO + 1, "0.0.0.0", 0);
	s[2] = sk(IPPROTO_TCP, 1, "10.0.0.2", LO + 2, "10.0.0.1", 80);
	s[3] = (struct sock_info){ .proto = IPPROTO_TCP, .family = AF_INET6, .state = 1,
				   .port = LO + 4, .rport = 80 };
	inet_pton(AF_INET6, "::ffff:10.0.0.2", s[3].addr);
	inet_pton(AF_INET6, "::ffff:10.0.0.1", s[3].raddr);
	assert_int_equal(eph_build(&v, &sc, s, 4, NULL, &f), 0);
	assert_int_equal(v.held_udp, 2);
	d = dest(&v, IPPROTO_UDP, "10.0.0.1", 53);
	assert_non_null(d);
	assert_int_equal(d->free, 8);
	d = dest(&v, IPPROTO_TCP, "10.0.0.1", 80);
	assert_non_null(d);
	assert_int_equal(d->family, 4);
	assert_int_equal(d->sockets, 2);
	assert_int_equal(d->free, 8);
	eph_free(&v);
}

/* --to ADDR:PORT with no socket there: a row with everything free */
static void test_asked(void **state)
{
	struct sock_info s = sk(IPPROTO_TCP, 1, "10.0.0.2", LO, "10.0.0.1", 80);
	struct eph_filter f = { .family = 4, .to_set = 1, .rport = 81 };
	struct eph_view v;
	const struct eph_dest *d;

	(void)state;
	range(2);
	inet_pton(AF_INET, "10.0.0.1", f.to);
	assert_int_equal(eph_build(&v, &sc, &s, 1, NULL, &f), 0);
	assert_int_equal(v.n, 1);
	d = dest(&v, IPPROTO_TCP, "10.0.0.1", 81);
	assert_non_null(d);
	assert_int_equal(d->sockets, 0);
	assert_int_equal(d->free, 10);
	eph_free(&v);
}

/* rates: 2 new 4-tuples in 2 s, 2 ports fewer free: 1/s each; time to
 * exhaustion free / growth */
static void test_rates(void **state)
{
	struct sock_info s[4];
	struct eph_filter f = {};
	struct eph_view a, b;
	const struct eph_dest *d;
	int i;

	(void)state;
	range(2);
	for (i = 0; i < 4; i++)
		s[i] = sk(IPPROTO_TCP, 1, "10.0.0.2", LO + i, "10.0.0.1", 80);
	assert_int_equal(eph_build(&a, &sc, s, 2, NULL, &f), 0);
	assert_int_equal(eph_build(&b, &sc, s, 4, NULL, &f), 0);
	eph_rates(&b, &a, 2.0);
	d = dest(&b, IPPROTO_TCP, "10.0.0.1", 80);
	assert_true(d->new_ps > 0.99 && d->new_ps < 1.01);
	assert_true(d->growth_ps > 0.99 && d->growth_ps < 1.01);
	assert_true(d->eta_s > 5.99 && d->eta_s < 6.01);
	eph_free(&a);
	eph_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_even_first),
		cmocka_unit_test(test_time_wait),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_udp_and_mapped),
		cmocka_unit_test(test_asked),
		cmocka_unit_test(test_rates),
	};

	return cmocka_run_group_tests_name("ephemeral", tests, NULL, NULL);
}
