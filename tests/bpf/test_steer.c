// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The steering program (bpf/steer.bpf.c) on real sockets, through the
 * library the steer command uses (steer_apply, steer_view_of, steer_off).
 *
 * Every case runs in a network namespace of its own (unshare, loopback up,
 * back to the original namespace at the end): three SO_REUSEPORT sockets of
 * this process on one address and port, a policy, then clients. Who got what
 * is counted twice: by accepting / receiving on each member socket, and from
 * the program's maps (selected and migrated_in per member, reasons). Then
 * 'steer off', and the group must be on the kernel's hash again with no pins
 * left. The migration cases close a listener with connections queued on it,
 * established or still requests (SYN_RECV), and count where they went.
 *
 * The matrix: TCP, UDP x IPv4, IPv6 x wildcard, loopback x hash,
 * round-robin, weighted 3:2:1, source-affinity, least-conn (TCP); migration
 * of ESTABLISHED children and of SYN_RECV requests, IPv4 and IPv6, and off a
 * listener that was the only live member. All of it twice: with the program
 * the loader picks here (steer, bpf_loop) and with steer_loops.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include "lib/caps.h"
#include "lib/log.h"
#include "lib/pins.h"
#include "sockets/adopt.h"
#include "sockets/groups.h"
#include "steer/state.h"
#include "steer/steer.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PORT 7100
#define NSRV 3			/* members of the group */
#define NCLI 30			/* clients per case */
#define NADDR 10		/* source-affinity: client addresses, NCLI / NADDR each */
#define NMIG_REQ 10		/* connections queued on a closing listener */
#define MAXCONN 64
#define WAIT_MS 3000		/* for what the kernel does asynchronously */
#define TCP_SYN_RECV_ 3
#define TCP_NEW_SYN_RECV_ 12

struct tcase;

/* Everything a case opened, for the teardown to close in reverse. */
struct ctx {
	const struct tcase *tc;
	int orig_ns;			/* the namespace to return to */
	char prefix[32];		/* "net<inode>-": our pins' names start so */
	int srv[NSRV];
	__u64 cookie[NSRV];
	int cli[MAXCONN];
	int ncli;
	int child[MAXCONN];		/* accepted connections */
	int nchild;
	int got[NSRV];			/* delivered to each member */
	__u32 from[MAXCONN][4];		/* source address of each delivery */
	int to[MAXCONN];		/* and the member that got it */
	int ndeliv;
	struct steer_req req;
	int steered;
	struct sockaddr_storage bind_sa, dst_sa;
	socklen_t sa_len;
};

struct tcase {
	int type;			/* SOCK_STREAM, SOCK_DGRAM */
	int family;
	int any;			/* bound to the wildcard address */
	int policy;
	void (*run)(struct ctx *c);
	int loops;			/* the loader's steer_loops program */
	char name[80];
};

/* ---- namespace --------------------------------------------------------- */

/* The kernel's struct in6_ifreq (linux/ipv6.h clashes with netinet/in.h). */
struct in6_ifreq_ {
	struct in6_addr addr;
	__u32 prefixlen;
	int ifindex;
};

static void lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

/* fd00::N/128 on lo: more IPv6 client addresses than ::1 alone. */
static void lo_add_v6(int n)
{
	/* zeroed to struct ifreq's size: valgrind checks that much */
	union {
		struct in6_ifreq_ r;
		struct ifreq pad;
	} u = {};
	char a[32];
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	u.r.prefixlen = 128;
	u.r.ifindex = (int)if_nametoindex("lo");
	snprintf(a, sizeof(a), "fd00::%d", n);
	assert_int_equal(inet_pton(AF_INET6, a, &u.r.addr), 1);
	assert_int_equal(ioctl(fd, SIOCSIFADDR, &u), 0);
	close(fd);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	int i;

	if (!c)
		return -1;
	c->tc = *state;
	c->orig_ns = -1;
	for (i = 0; i < NSRV; i++)
		c->srv[i] = -1;
	*state = c;
	c->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->orig_ns < 0 || unshare(CLONE_NEWNET)) {
		fprintf(stderr, "cannot make a network namespace: %s\n", strerror(errno));
		return -1;
	}
	netns_prefix(c->prefix, sizeof(c->prefix));
	if (c->tc->loops)
		setenv("PS_STEER_PROG", "steer_loops", 1);
	return 0;
}

/* Pins of groups in this case's namespace (0 when all went well). */
static int our_pins(const struct ctx *c, int remove)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(STEER_PINS);
	int n = 0;

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, c->prefix, strlen(c->prefix)))
			continue;
		n++;
		if (remove) {
			snprintf(dir, sizeof(dir), STEER_PINS "/%.200s", de->d_name);
			pins_remove(dir);
		}
	}
	if (d)
		closedir(d);
	return n;
}

static void close_conns(struct ctx *c)
{
	int i;

	for (i = 0; i < c->nchild; i++)
		close(c->child[i]);
	for (i = 0; i < c->ncli; i++)
		close(c->cli[i]);
	c->nchild = c->ncli = 0;
}

/* Layered: connections, steering, pins a failure left, members, namespace. */
static int teardown(void **state)
{
	struct ctx *c = *state;
	struct steer_result res;
	enum steer_off_how how;
	int err = 0, i;

	close_conns(c);
	if (c->steered && steer_off(&c->req, &res, &how))
		err = -1;
	if (our_pins(c, 1)) {
		fprintf(stderr, "%s: pins left behind (removed now)\n", c->tc->name);
		err = -1;
	}
	for (i = 0; i < NSRV; i++)
		if (c->srv[i] >= 0)
			close(c->srv[i]);
	if (c->orig_ns >= 0) {
		if (setns(c->orig_ns, CLONE_NEWNET))
			err = -1;
		close(c->orig_ns);
	}
	unsetenv("PS_STEER_PROG");
	free(c);
	return err;
}

/* ---- sockets ----------------------------------------------------------- */

static socklen_t make_sa(int family, const char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, addr, &s->sin_addr), 1);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	return sizeof(*s6);
}

/* An address as four words, as the program keys it (IPv4 in [0]). */
static void addr_words(const struct sockaddr_storage *ss, __u32 a[4])
{
	memset(a, 0, 4 * sizeof(*a));
	if (ss->ss_family == AF_INET)
		memcpy(a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else
		memcpy(a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

static const char *bind_addr(const struct tcase *t)
{
	if (t->family == AF_INET)
		return t->any ? "0.0.0.0" : "127.0.0.1";
	return t->any ? "::" : "::1";
}

/* The three members, and the request that names their group. */
static void open_group(struct ctx *c, int defer_accept)
{
	const struct tcase *t = c->tc;
	int i, one = 1;

	lo_up();
	c->sa_len = make_sa(t->family, bind_addr(t), PORT, &c->bind_sa);
	make_sa(t->family, t->family == AF_INET ? "127.0.0.1" : "::1", PORT, &c->dst_sa);
	for (i = 0; i < NSRV; i++) {
		c->srv[i] = socket(t->family, t->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(c->srv[i] >= 0);
		assert_int_equal(setsockopt(c->srv[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
		if (defer_accept) {
			int secs = 30;

			assert_int_equal(setsockopt(c->srv[i], IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs,
						    sizeof(secs)), 0);
		}
		assert_int_equal(bind(c->srv[i], (struct sockaddr *)&c->bind_sa, c->sa_len), 0);
		if (t->type == SOCK_STREAM)
			assert_int_equal(listen(c->srv[i], 128), 0);
		c->cookie[i] = sock_cookie(c->srv[i]);
		assert_true(c->cookie[i] != 0);
	}
	memset(&c->req, 0, sizeof(c->req));
	c->req.port = PORT;
	c->req.proto = t->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	c->req.addr = bind_addr(t);
	c->req.policy = t->policy;
}

static void set_weights(struct ctx *c, __u32 w0, __u32 w1, __u32 w2)
{
	const __u32 w[NSRV] = { w0, w1, w2 };
	int i;

	c->req.weights.n = 0;
	for (i = 0; i < NSRV; i++)
		c->req.weights.v[c->req.weights.n++] = (struct weight_arg){ .cookie = c->cookie[i],
									    .w = w[i] };
}

static void steer(struct ctx *c)
{
	struct steer_result res;

	assert_int_equal(steer_apply(&c->req, &res), 0);
	c->steered = 1;
	assert_int_equal(res.members, NSRV);
	assert_int_equal(res.port, PORT);
	if (c->req.policy >= 0)
		assert_int_equal(res.policy, c->req.policy);
}

/* A client from src (NULL: the kernel's choice); TCP connects, UDP sends
 * one datagram. The socket stays open until the case ends. */
static int client(struct ctx *c, const char *src)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, i, err;

	assert_true(c->ncli < MAXCONN);
	fd = socket(c->tc->family, c->tc->type | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	c->cli[c->ncli++] = fd;
	if (src) {
		len = make_sa(c->tc->family, src, 0, &ss);
		/* a new IPv6 address may be tentative a moment */
		for (i = 0; (err = bind(fd, (struct sockaddr *)&ss, len)) && errno == EADDRNOTAVAIL &&
			    i < 200; i++)
			usleep(10000);
		assert_int_equal(err, 0);
	}
	if (c->tc->type == SOCK_STREAM)
		assert_int_equal(connect(fd, (struct sockaddr *)&c->dst_sa, c->sa_len), 0);
	else
		assert_int_equal(sendto(fd, "d", 1, 0, (struct sockaddr *)&c->dst_sa, c->sa_len), 1);
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take what each member has (accept, or recv) until `want` in all. */
static void collect(struct ctx *c, int want)
{
	struct sockaddr_storage peer;
	struct pollfd p[NSRV];
	long end = now_ms() + WAIT_MS;
	socklen_t len;
	char b[16];
	int i, fd, n;

	while (c->ndeliv < want && now_ms() < end) {
		for (n = i = 0; i < NSRV; i++)
			p[n++] = (struct pollfd){ .fd = c->srv[i], .events = POLLIN };
		poll(p, n, 20);
		for (i = 0; i < NSRV; i++) {
			if (c->srv[i] < 0)
				continue;
			for (;;) {
				len = sizeof(peer);
				if (c->tc->type == SOCK_STREAM) {
					fd = accept4(c->srv[i], (struct sockaddr *)&peer, &len,
						     SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0)
						break;
					c->child[c->nchild++] = fd;
				} else if (recvfrom(c->srv[i], b, sizeof(b), MSG_DONTWAIT,
						    (struct sockaddr *)&peer, &len) < 0) {
					break;
				}
				assert_true(c->ndeliv < MAXCONN);
				addr_words(&peer, c->from[c->ndeliv]);
				c->to[c->ndeliv++] = i;
				c->got[i]++;
			}
		}
	}
	assert_int_equal(c->ndeliv, want);
}

/* Accept queue of a listener (TCP_INFO: tcpi_unacked, for a listener). */
static int queued(int fd)
{
	struct tcp_info ti = {};
	socklen_t len = sizeof(ti);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_unacked;
}

static int queued_all(const struct ctx *c)
{
	int i, n = 0;

	for (i = 0; i < NSRV; i++)
		n += c->srv[i] >= 0 ? queued(c->srv[i]) : 0;
	return n;
}

/* ---- the program's maps ------------------------------------------------ */

static const char *prog_name(__u32 id)
{
	static struct bpf_prog_info pi;
	__u32 len = sizeof(pi);
	int fd = bpf_prog_get_fd_by_id(id);

	assert_true(fd >= 0);
	memset(&pi, 0, sizeof(pi));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &pi, &len), 0);
	close(fd);
	return pi.name;
}

/* The group of this case, as 'groups' finds it: members and program. */
static void view(const struct ctx *c, struct steer_view *v, size_t members, __u32 *prog_id)
{
	struct groups_filter f = { .port = PORT, .proto = c->req.proto, .all = 1 };
	struct groups gs;
	const struct group *g = NULL;
	__u32 a[4];
	size_t i;

	addr_words(&c->bind_sa, a);
	assert_int_equal(groups_collect(&gs, &f), 0);
	for (i = 0; i < gs.n; i++)
		if (gs.g[i].family == c->tc->family && !memcmp(gs.g[i].addr, a, sizeof(a)))
			g = &gs.g[i];
	assert_non_null(g);
	assert_int_equal(g->n, members);
	*prog_id = g->bpf_prog_id;
	if (*prog_id)	/* the program the case asked the loader for */
		assert_string_equal(prog_name(*prog_id), c->tc->loops ? "steer_loops" : "steer");
	memset(v, 0, sizeof(*v));
	assert_int_equal(steer_view_of(g, v), 0);
	groups_free(&gs);
}

static const struct steer_member *member(const struct ctx *c, const struct steer_view *v, int i)
{
	const struct steer_member *m = steer_member_of(v, c->cookie[i]);

	assert_non_null(m);
	return m;
}

/* No selection failed: nothing was left to the kernel's hash. */
static void no_fallbacks(const struct steer_view *v)
{
	assert_int_equal(v->reasons[PS_S_NO_MEMBER], 0);
	assert_int_equal(v->reasons[PS_S_EMPTY_SLOT], 0);
	assert_int_equal(v->reasons[PS_S_SELECT_ERR], 0);
	assert_int_equal(v->reasons[PS_S_NO_ADDR], 0);
	assert_int_equal(v->reasons[PS_S_NOT_SYN], 0);
	assert_int_equal(v->reasons[PS_S_COOKIE_ACK], 0);
}

/* 'steer off': detached, no pins of this namespace, the kernel's hash
 * delivers new clients again. */
static void off(struct ctx *c, char *out, size_t len)
{
	struct steer_result res;
	enum steer_off_how how;
	struct steer_view v;
	__u32 prog_id;
	int i, alive = 0, before = c->ndeliv, got[NSRV];

	close_conns(c);
	assert_int_equal(steer_off(&c->req, &res, &how), 0);
	c->steered = 0;
	assert_int_equal(how, STEER_OFF_DETACHED);
	assert_int_equal(our_pins(c, 0), 0);
	for (i = 0; i < NSRV; i++)
		alive += c->srv[i] >= 0;
	view(c, &v, alive, &prog_id);
	assert_int_equal(v.steered, 0);
	assert_int_equal(prog_id, 0);		/* no sk_reuseport program holds it */
	memcpy(got, c->got, sizeof(got));
	for (i = 0; i < 6; i++) {
		int fd = client(c, NULL);

		/* data, for listeners that defer accepting until some comes */
		if (c->tc->type == SOCK_STREAM)
			assert_int_equal(send(fd, "q", 1, 0), 1);
	}
	collect(c, before + 6);
	snprintf(out, len, "off: kernel hash %d/%d/%d", c->got[0] - got[0], c->got[1] - got[1],
		 c->got[2] - got[2]);
}

/* ---- source-affinity's oracle ------------------------------------------ */

static __u32 mix32(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (__u32)x;
}

/* The member rendezvous hashing gives this client address: the live slot
 * (in slot order) ranking highest by mix(client, socket cookie). */
static int affinity_member(const struct ctx *c, const struct steer_view *v, const __u32 a[4])
{
	__u32 h = mix32(((__u64)a[0] << 32 | a[1]) ^ ((__u64)a[2] << 32 | a[3])), score;
	__s64 best_score = -1;
	__u64 best = 0;
	size_t i;
	int k;

	for (i = 0; i < v->n; i++) {	/* v->m is in slot order */
		score = mix32(h ^ v->m[i].info.cookie);
		if (best_score < 0 || score > best_score) {
			best_score = score;
			best = v->m[i].info.cookie;
		}
	}
	for (k = 0; k < NSRV; k++)
		if (c->cookie[k] == best)
			return k;
	return -1;
}

/* ---- the policy matrix ------------------------------------------------- */

static void src_of(const struct ctx *c, int k, char *buf, size_t len)
{
	if (c->tc->family == AF_INET)
		snprintf(buf, len, "127.0.0.%d", 10 + k);
	else
		snprintf(buf, len, "fd00::%d", 10 + k);
}

static void run_policy(struct ctx *c)
{
	const struct tcase *t = c->tc;
	const struct steer_member *m[NSRV];
	struct steer_view v;
	char src[64], sum[200], offs[64];
	__u32 prog_id;
	int i, k, used = 0;

	open_group(c, 0);
	if (t->policy == PS_POL_AFFINITY && t->family == AF_INET6)
		for (k = 0; k < NADDR; k++)
			lo_add_v6(10 + k);
	if (t->policy == PS_POL_WEIGHTED)
		set_weights(c, 3, 2, 1);
	steer(c);

	for (i = 0; i < NCLI; i++) {
		if (t->policy == PS_POL_AFFINITY) {
			src_of(c, i % NADDR, src, sizeof(src));
			client(c, src);
		} else {
			client(c, NULL);
		}
		/* least-conn counts established connections: let each one
		 * be established before the next SYN */
		if (t->policy == PS_POL_LEAST_CONN) {
			long end = now_ms() + WAIT_MS;

			while (queued_all(c) < i + 1 && now_ms() < end)
				usleep(200);
		}
	}
	collect(c, NCLI);

	view(c, &v, NSRV, &prog_id);
	assert_int_equal(v.steered, 1);
	assert_int_equal(v.policy, t->policy);
	assert_int_equal(v.n, NSRV);
	assert_true(prog_id != 0);
	for (i = 0; i < NSRV; i++) {
		m[i] = member(c, &v, i);
		assert_int_equal(m[i]->st.selected, c->got[i]);	/* maps = sockets */
		assert_int_equal(m[i]->st.migrated_in, 0);
		used += c->got[i] > 0;
	}
	assert_int_equal(v.reasons[PS_S_CALLS], NCLI);
	assert_int_equal(v.reasons[PS_S_MIGRATIONS], 0);
	no_fallbacks(&v);

	switch (t->policy) {
	case PS_POL_RR:
	case PS_POL_LEAST_CONN:
		for (i = 0; i < NSRV; i++)
			assert_int_equal(c->got[i], NCLI / NSRV);
		if (t->policy == PS_POL_LEAST_CONN)
			for (i = 0; i < NSRV; i++)
				assert_int_equal(m[i]->active, NCLI / NSRV);
		break;
	case PS_POL_WEIGHTED:	/* 3:2:1, NCLI a multiple of 6 */
		assert_int_equal(c->got[0], NCLI / 2);
		assert_int_equal(c->got[1], NCLI / 3);
		assert_int_equal(c->got[2], NCLI / 6);
		break;
	case PS_POL_AFFINITY:
		/* one member per client address, the one rendezvous hashing names */
		for (i = 0; i < c->ndeliv; i++) {
			for (k = 0; k < i; k++)
				if (!memcmp(c->from[k], c->from[i], sizeof(c->from[i])))
					assert_int_equal(c->to[k], c->to[i]);
			assert_int_equal(c->to[i], affinity_member(c, &v, c->from[i]));
		}
		break;
	default:		/* hash: the kernel's spread, all of it counted */
		assert_int_equal(c->got[0] + c->got[1] + c->got[2], NCLI);
	}
	snprintf(sum, sizeof(sum), "%d/%d/%d, maps %llu/%llu/%llu, calls %llu",
		 c->got[0], c->got[1], c->got[2], (unsigned long long)m[0]->st.selected,
		 (unsigned long long)m[1]->st.selected, (unsigned long long)m[2]->st.selected,
		 (unsigned long long)v.reasons[PS_S_CALLS]);
	if (t->policy == PS_POL_LEAST_CONN)
		snprintf(sum + strlen(sum), sizeof(sum) - strlen(sum), ", active %lld/%lld/%lld",
			 (long long)m[0]->active, (long long)m[1]->active, (long long)m[2]->active);
	if (t->policy == PS_POL_AFFINITY)
		snprintf(sum + strlen(sum), sizeof(sum) - strlen(sum),
			 ", %d addresses on %d members", NADDR, used);

	/* least-conn: closed connections leave the count */
	if (t->policy == PS_POL_LEAST_CONN) {
		long end = now_ms() + WAIT_MS;
		__s64 left;

		close_conns(c);
		do {
			usleep(5000);
			view(c, &v, NSRV, &prog_id);
			for (left = 0, i = 0; i < NSRV; i++)
				left += member(c, &v, i)->active;
		} while (left && now_ms() < end);
		assert_int_equal(left, 0);
		strcat(sum, ", then 0 after close");
	}
	off(c, offs, sizeof(offs));
	print_message("  %-44s %s; %s\n", t->name, sum, offs);
}

/* ---- migration --------------------------------------------------------- */

/* Each client's data reached a member (tag read), and the member's answer
 * the client: nothing was reset. */
static void echo_all(struct ctx *c)
{
	struct pollfd p;
	char b;
	int i;

	for (i = 0; i < c->nchild; i++) {
		p = (struct pollfd){ .fd = c->child[i], .events = POLLIN };
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		assert_int_equal(recv(c->child[i], &b, 1, 0), 1);
		assert_int_equal(b, 'q');
		assert_int_equal(send(c->child[i], "a", 1, MSG_NOSIGNAL), 1);
	}
	for (i = 0; i < c->ncli; i++) {
		int soerr = -1;
		socklen_t len = sizeof(soerr);

		p = (struct pollfd){ .fd = c->cli[i], .events = POLLIN };
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		assert_int_equal(recv(c->cli[i], &b, 1, 0), 1);
		assert_int_equal(b, 'a');
		assert_int_equal(getsockopt(c->cli[i], SOL_SOCKET, SO_ERROR, &soerr, &len), 0);
		assert_int_equal(soerr, 0);
	}
}

/* How many connections of this port are requests (SYN_RECV). */
static int requests(void)
{
	struct sock_info *s;
	size_t n, i;
	int k = 0;

	assert_int_equal(sockets_dump(IPPROTO_TCP, 1u << TCP_SYN_RECV_ | 1u << TCP_NEW_SYN_RECV_,
				      &s, &n), 0);
	for (i = 0; i < n; i++)
		k += s[i].port == PORT;
	free(s);
	return k;
}

/*
 * ESTABLISHED children: round-robin queues 10 connections on each member,
 * nobody accepts; member 0 closes. Its 10 must move to the other two (the
 * program still lists it: it must skip the closing listener), none reset.
 */
static void run_migrate_established(struct ctx *c)
{
	const struct steer_member *m[NSRV];
	struct steer_view v;
	char sum[200], offs[64];
	__u64 migrated = 0;
	__u32 prog_id;
	long end;
	int i, qa;

	open_group(c, 0);
	steer(c);
	for (i = 0; i < NCLI; i++)
		assert_int_equal(send(client(c, NULL), "q", 1, 0), 1);
	end = now_ms() + WAIT_MS;
	while (queued_all(c) < NCLI && now_ms() < end)
		usleep(1000);
	qa = queued(c->srv[0]);
	assert_int_equal(qa, NCLI / NSRV);
	assert_int_equal(queued(c->srv[1]), NCLI / NSRV);
	assert_int_equal(queued(c->srv[2]), NCLI / NSRV);

	close(c->srv[0]);		/* the kernel migrates its accept queue */
	c->srv[0] = -1;
	collect(c, NCLI);
	assert_int_equal(c->got[0], 0);
	assert_int_equal(c->got[1] + c->got[2], NCLI);
	echo_all(c);

	view(c, &v, NSRV - 1, &prog_id);
	assert_int_equal(v.steered, 1);
	for (i = 0; i < NSRV; i++) {
		m[i] = member(c, &v, i);
		assert_int_equal(m[i]->st.selected, NCLI / NSRV);
		migrated += m[i]->st.migrated_in;
	}
	assert_int_equal(m[0]->st.migrated_in, 0);
	assert_int_equal(migrated, qa);
	for (i = 1; i < NSRV; i++)	/* what each accepted: its own and what moved */
		assert_int_equal(c->got[i], m[i]->st.selected + m[i]->st.migrated_in);
	assert_int_equal(v.reasons[PS_S_MIGRATIONS], qa);
	assert_int_equal(v.reasons[PS_S_CALLS], NCLI + qa);
	no_fallbacks(&v);
	snprintf(sum, sizeof(sum), "queued 10/10/10, member 0 closed: accepted %d/%d/%d, "
		 "migrated_in %llu/%llu/%llu, none reset", c->got[0], c->got[1], c->got[2],
		 (unsigned long long)m[0]->st.migrated_in, (unsigned long long)m[1]->st.migrated_in,
		 (unsigned long long)m[2]->st.migrated_in);
	off(c, offs, sizeof(offs));
	print_message("  %-44s %s; %s\n", c->tc->name, sum, offs);
}

/*
 * SYN_RECV requests: TCP_DEFER_ACCEPT makes a listener ignore the bare
 * final ACK, so the connection stays a request (the client is ESTABLISHED)
 * until data comes. Weighted 1:0:0 puts every request on member 0; then
 * 0:1:1 (member 0 takes nothing new) and member 0 closes; the clients send:
 * each request moves to member 1 or 2 and completes there.
 */
static void run_migrate_synrecv(struct ctx *c)
{
	const struct steer_member *m[NSRV];
	struct steer_view v;
	char sum[200], offs[64];
	__u32 prog_id;
	long end;
	int i, reqs;

	open_group(c, 1);
	set_weights(c, 1, 0, 0);
	steer(c);
	for (i = 0; i < NMIG_REQ; i++)
		client(c, NULL);
	end = now_ms() + WAIT_MS;
	while ((reqs = requests()) < NMIG_REQ && now_ms() < end)
		usleep(1000);
	assert_int_equal(reqs, NMIG_REQ);
	assert_int_equal(queued_all(c), 0);	/* none completed */

	set_weights(c, 0, 1, 1);
	steer(c);
	close(c->srv[0]);
	c->srv[0] = -1;
	for (i = 0; i < c->ncli; i++)
		assert_int_equal(send(c->cli[i], "q", 1, 0), 1);
	collect(c, NMIG_REQ);
	assert_int_equal(c->got[1] + c->got[2], NMIG_REQ);
	echo_all(c);
	assert_int_equal(requests(), 0);

	view(c, &v, NSRV - 1, &prog_id);
	for (i = 0; i < NSRV; i++)
		m[i] = member(c, &v, i);
	assert_int_equal(m[0]->st.selected, NMIG_REQ);
	assert_int_equal(m[0]->st.migrated_in, 0);
	for (i = 1; i < NSRV; i++) {
		assert_int_equal(m[i]->st.selected, 0);
		assert_int_equal(m[i]->st.migrated_in, c->got[i]);
	}
	assert_int_equal(v.reasons[PS_S_MIGRATIONS], NMIG_REQ);
	assert_int_equal(v.reasons[PS_S_CALLS], 2 * NMIG_REQ);
	no_fallbacks(&v);
	snprintf(sum, sizeof(sum), "%d requests on member 0, closed: accepted %d/%d/%d, "
		 "migrated_in %llu/%llu/%llu, none reset", reqs, c->got[0], c->got[1], c->got[2],
		 (unsigned long long)m[0]->st.migrated_in, (unsigned long long)m[1]->st.migrated_in,
		 (unsigned long long)m[2]->st.migrated_in);
	off(c, offs, sizeof(offs));
	print_message("  %-44s %s; %s\n", c->tc->name, sum, offs);
}

/*
 * The closing listener is the only live member (weighted 1:0:0): the
 * program has no other member to offer and leaves the choice to the
 * kernel's hash, which moves the queue to a weight-0 member. Nothing may be
 * lost; every migration is counted, either as migrated_in or as a fallback.
 */
static void run_migrate_last_live(struct ctx *c)
{
	const struct steer_member *m[NSRV];
	struct steer_view v;
	char sum[200], offs[64];
	__u64 moved = 0;
	__u32 prog_id;
	long end;
	int i;

	open_group(c, 0);
	set_weights(c, 1, 0, 0);
	steer(c);
	for (i = 0; i < NMIG_REQ; i++)
		assert_int_equal(send(client(c, NULL), "q", 1, 0), 1);
	end = now_ms() + WAIT_MS;
	while (queued(c->srv[0]) < NMIG_REQ && now_ms() < end)
		usleep(1000);
	assert_int_equal(queued(c->srv[0]), NMIG_REQ);
	close(c->srv[0]);
	c->srv[0] = -1;
	collect(c, NMIG_REQ);
	assert_int_equal(c->got[1] + c->got[2], NMIG_REQ);
	echo_all(c);

	view(c, &v, NSRV - 1, &prog_id);
	for (i = 0; i < NSRV; i++) {
		m[i] = member(c, &v, i);
		moved += m[i]->st.migrated_in;
	}
	assert_int_equal(m[0]->st.selected, NMIG_REQ);
	assert_int_equal(v.reasons[PS_S_MIGRATIONS], NMIG_REQ);
	assert_int_equal(v.reasons[PS_S_CALLS], 2 * NMIG_REQ);
	assert_int_equal(moved + v.reasons[PS_S_EMPTY_SLOT], NMIG_REQ);
	assert_int_equal(v.reasons[PS_S_NO_MEMBER], 0);
	assert_int_equal(v.reasons[PS_S_SELECT_ERR], 0);
	assert_int_equal(v.reasons[PS_S_NOT_SYN], 0);
	snprintf(sum, sizeof(sum), "10 queued on member 0 (1:0:0), closed: accepted %d/%d/%d, "
		 "migrated_in %llu/%llu/%llu, fallback_empty_slot %llu, none reset",
		 c->got[0], c->got[1], c->got[2], (unsigned long long)m[0]->st.migrated_in,
		 (unsigned long long)m[1]->st.migrated_in, (unsigned long long)m[2]->st.migrated_in,
		 (unsigned long long)v.reasons[PS_S_EMPTY_SLOT]);
	off(c, offs, sizeof(offs));
	print_message("  %-44s %s; %s\n", c->tc->name, sum, offs);
}

/* ---- the table --------------------------------------------------------- */

#define ROW(type, fam, any, pol) { type, fam, any, pol, run_policy, 0, "" }
#define TCP_ROWS(fam, any)                                                           \
	ROW(SOCK_STREAM, fam, any, PS_POL_HASH), ROW(SOCK_STREAM, fam, any, PS_POL_RR), \
	ROW(SOCK_STREAM, fam, any, PS_POL_WEIGHTED),                                  \
	ROW(SOCK_STREAM, fam, any, PS_POL_AFFINITY),                                  \
	ROW(SOCK_STREAM, fam, any, PS_POL_LEAST_CONN)
#define UDP_ROWS(fam, any)                                                           \
	ROW(SOCK_DGRAM, fam, any, PS_POL_HASH), ROW(SOCK_DGRAM, fam, any, PS_POL_RR),   \
	ROW(SOCK_DGRAM, fam, any, PS_POL_WEIGHTED),                                   \
	ROW(SOCK_DGRAM, fam, any, PS_POL_AFFINITY)

static struct tcase cases[] = {
	TCP_ROWS(AF_INET, 1), TCP_ROWS(AF_INET, 0), TCP_ROWS(AF_INET6, 1), TCP_ROWS(AF_INET6, 0),
	UDP_ROWS(AF_INET, 1), UDP_ROWS(AF_INET, 0), UDP_ROWS(AF_INET6, 1), UDP_ROWS(AF_INET6, 0),
	{ SOCK_STREAM, AF_INET, 0, PS_POL_RR, run_migrate_established, 0, "" },
	{ SOCK_STREAM, AF_INET6, 0, PS_POL_RR, run_migrate_established, 0, "" },
	{ SOCK_STREAM, AF_INET, 0, PS_POL_WEIGHTED, run_migrate_synrecv, 0, "" },
	{ SOCK_STREAM, AF_INET6, 0, PS_POL_WEIGHTED, run_migrate_synrecv, 0, "" },
	{ SOCK_STREAM, AF_INET, 0, PS_POL_WEIGHTED, run_migrate_last_live, 0, "" },
};

/* Every case twice: with the program the loader picks on this kernel
 * (steer, bpf_loop), and with steer_loops (older kernels' variant). */
static struct tcase all[2 * ARRAY_SIZE(cases)];

static void run_case(void **state)
{
	struct ctx *c = *state;

	if (c->tc->policy == PS_POL_LEAST_CONN && !have_perfmon())
		skip();		/* least-conn's tracker needs CAP_PERFMON */
	c->tc->run(c);
}

static void name_case(struct tcase *t)
{
	const char *what = policy_name(t->policy);

	if (t->run == run_migrate_established)
		what = "migrate ESTABLISHED";
	else if (t->run == run_migrate_synrecv)
		what = "migrate SYN_RECV";
	else if (t->run == run_migrate_last_live)
		what = "migrate off the only live";
	snprintf(t->name, sizeof(t->name), "%s v%d %s %s%s", t->type == SOCK_STREAM ? "tcp" : "udp",
		 t->family == AF_INET ? 4 : 6, t->any ? "any" : "loopback", what,
		 t->loops ? " [loops]" : "");
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(all)];
	size_t i;

	if (geteuid()) {
		fprintf(stderr, "test_steer: needs root (namespaces, BPF, pidfd_getfd)\n");
		return 1;
	}
	log_init(0);
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		all[i] = cases[i % ARRAY_SIZE(cases)];
		all[i].loops = i >= ARRAY_SIZE(cases);
		name_case(&all[i]);
		tests[i] = (struct CMUnitTest){ all[i].name, run_case, setup, teardown, &all[i] };
	}
	return cmocka_run_group_tests_name("steering (real sockets, a namespace per case)", tests,
					   NULL, NULL);
}
