// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A conflict's reason in words (trace/conflict.c), from events and holders
 * built here: which addresses overlap by the kernel's bind rules, and the
 * sentence for each kind of conflict.
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
#include "trace/conflict.h"

static struct ps_conflict_event ev(__u8 op, __u32 err, const char *addr, __u16 port, __u8 flags)
{
	struct ps_conflict_event e = { .op = op, .err = err, .port = port, .proto = IPPROTO_TCP,
				       .flags = flags | PS_EV_SOCKET | PS_EV_ADDR, .prot_sock = 1024 };

	e.family = strchr(addr, ':') ? 6 : 4;
	inet_pton(e.family == 6 ? AF_INET6 : AF_INET, addr, e.addr);
	return e;
}

static struct sock_info sock(const char *addr, __u16 port, __u8 state, int v6only)
{
	struct sock_info s = { .proto = IPPROTO_TCP, .port = port, .state = state, .v6only = v6only };

	s.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(s.family, addr, s.addr);
	return s;
}

static void test_overlap(void **state)
{
	static const struct {
		const char *asked;
		int v6only_asked;
		const char *held;
		int v6only_held, overlap;
	} t[] = {
		{ "0.0.0.0", 0, "10.0.0.1", 0, 1 },
		{ "10.0.0.1", 0, "0.0.0.0", 0, 1 },
		{ "10.0.0.1", 0, "10.0.0.2", 0, 0 },
		{ "0.0.0.0", 0, "::", 0, 1 },		/* dual-stack [::] takes IPv4 */
		{ "0.0.0.0", 0, "::", 1, 0 },		/* v6-only does not */
		{ "::", 1, "0.0.0.0", 0, 0 },
		{ "::", 0, "0.0.0.0", 0, 1 },
		{ "::", 1, "::", 1, 1 },
		{ "::ffff:127.0.0.1", 0, "127.0.0.1", 0, 1 },
		{ "::ffff:127.0.0.1", 0, "127.0.0.2", 0, 0 },
		{ "fd00::1", 0, "fd00::2", 0, 0 },
		{ "fd00::1", 0, "::", 1, 1 },
		{ "fd00::1", 0, "0.0.0.0", 0, 0 },
	};
	struct ps_conflict_event e;
	struct sock_info s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		e = ev(PS_OP_BIND, EADDRINUSE, t[i].asked, 80, t[i].v6only_asked ? PS_EV_V6ONLY : 0);
		s = sock(t[i].held, 80, 10, t[i].v6only_held);
		if (conflict_overlap(&e, &s) != t[i].overlap)
			fail_msg("%s (v6only %d) vs %s (v6only %d): expected %d", t[i].asked,
				 t[i].v6only_asked, t[i].held, t[i].v6only_held, t[i].overlap);
	}
	e = ev(PS_OP_BIND, EADDRINUSE, "0.0.0.0", 80, 0);
	e.bound_dev_if = 2;
	s = sock("0.0.0.0", 80, 10, 0);
	s.ifindex = 3;
	assert_false(conflict_overlap(&e, &s));	/* bound to different devices */
}

/* one holder: pid 812 nginx, LISTEN, the options given */
static void holder(struct conflict *c, const char *addr, __u8 state, __u32 uid, int ra, int rp)
{
	c->h[0].sk = sock(addr, c->ev.port, state, 0);
	c->h[0].sk.uid = uid;
	c->h[0].pid = state == 6 ? 0 : 812;
	strcpy(c->h[0].comm, state == 6 ? "" : "nginx");
	c->h[0].reuseaddr = ra;
	c->h[0].reuseport = rp;
	c->nh = c->nsockets = 1;
	c->visible = 1;
}

static void expect(struct conflict *c, const char *want)
{
	conflict_reason(c);
	assert_string_equal(c->reason, want);
}

static void test_holders(void **state)
{
	struct conflict c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.ev = ev(PS_OP_BIND, EADDRINUSE, "0.0.0.0", 80, PS_EV_REUSE);
	holder(&c, "0.0.0.0", 10, 0, 1, 0);
	expect(&c, "held by 812 nginx (LISTEN 0.0.0.0:80) without SO_REUSEPORT "
		   "(SO_REUSEADDR on both does not share a listening port)");
	c.ev.flags = PS_EV_SOCKET | PS_EV_ADDR | PS_EV_REUSEPORT;
	c.ev.sk_uid = 33;
	holder(&c, "0.0.0.0", 10, 0, 0, 1);
	expect(&c, "held by 812 nginx (LISTEN 0.0.0.0:80): both set SO_REUSEPORT but owners differ "
		   "(uid 33 asked, uid 0 holds)");
	c.ev.flags = PS_EV_SOCKET | PS_EV_ADDR;
	expect(&c, "held by 812 nginx (LISTEN 0.0.0.0:80) with SO_REUSEPORT; this socket did not set SO_REUSEPORT");
	holder(&c, "10.0.0.1", 10, 0, -1, -1);
	expect(&c, "0.0.0.0:80 overlaps 10.0.0.1:80: held by 812 nginx (LISTEN 10.0.0.1:80) "
		   "(its SO_REUSEPORT unknown: borrowing its socket needs CAP_SYS_PTRACE)");
	holder(&c, "10.0.0.1", 6, 0, -1, -1);
	expect(&c, "0.0.0.0:80 overlaps 10.0.0.1:80: held by no process (TIME_WAIT 10.0.0.1:80): "
		   "a closed connection in TIME_WAIT; SO_REUSEADDR would allow it");
	c.ev = ev(PS_OP_BIND, EADDRINUSE, "::ffff:10.0.0.1", 80, 0);
	holder(&c, "10.0.0.1", 10, 0, 0, 0);
	c.nsockets = 3;
	expect(&c, "[::ffff:10.0.0.1]:80 is 10.0.0.1:80: held by 812 nginx (LISTEN 10.0.0.1:80) "
		   "without SO_REUSEPORT (+2 more sockets on the port)");
	c.ev = ev(PS_OP_BIND, EADDRINUSE, "0.0.0.0", 80, 0);
	holder(&c, "::", 10, 0, 0, 0);
	expect(&c, "0.0.0.0:80 overlaps [::]:80 (dual-stack [::] takes IPv4 too): held by 812 nginx "
		   "(LISTEN [::]:80) without SO_REUSEPORT");
	c.nh = 0;
	expect(&c, "no holder on port 80 now (it closed meanwhile?)");
}

static void test_other_reasons(void **state)
{
	struct conflict c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.ev = ev(PS_OP_BIND, EACCES, "0.0.0.0", 80, 0);
	c.ev.uid = 65534;
	c.cap_bind = 0;
	expect(&c, "port 80 is below net.ipv4.ip_unprivileged_port_start (1024) and uid 65534 lacks "
		   "CAP_NET_BIND_SERVICE");
	c.ev = ev(PS_OP_BIND, EADDRNOTAVAIL, "10.9.9.9", 80, 0);
	expect(&c, "10.9.9.9 is not an address of this host");
	c.ev = ev(PS_OP_CONNECT, EADDRNOTAVAIL, "10.0.0.1", 443, 0);
	c.r = (struct conflict_range){ .known = 1, .lo = 40000, .hi = 40099, .usable = 100, .held = 10,
				       .ports = 90, .free = 0 };
	c.r.state[1] = 80;
	c.r.state[6] = 10;
	expect(&c, "all 100 connect ports toward 10.0.0.1:443 in use (90 by connections to it: "
		   "80 ESTABLISHED, 10 TIME_WAIT; 10 held by bind() for every destination; range 40000-40099)");
	c.ev.lport = 40001;
	inet_pton(AF_INET, "10.0.0.2", c.ev.laddr);
	expect(&c, "10.0.0.2:40001 -> 10.0.0.1:443 exists already: the socket was bound to port 40001 "
		   "before connect()");
	c.ev = ev(PS_OP_BIND, EADDRINUSE, "0.0.0.0", 0, 0);
	c.r.in_use = 100;
	expect(&c, "no free port for bind() in 40000-40099: 100 of 100 usable ports in use (10 held by bind())");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_holders),
		cmocka_unit_test(test_other_reasons),
	};

	return cmocka_run_group_tests_name("conflict_reason", tests, NULL, NULL);
}
