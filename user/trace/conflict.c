// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A failing bind(), listen() or connect() explained (conflict.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/fmt.h"
#include "sockets/adopt.h"
#include "trace/conflict.h"
#include "trace/tracer.h"

#define TCP_TIME_WAIT_ 6
#define TCP_CLOSE_ 7
#define CAP_NET_BIND_SERVICE_ 10

const char *errno_name(int err)
{
	switch (err) {
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EACCES: return "EACCES";
	default: return "E?";
	}
}

const char *op_name(int op)
{
	return op == PS_OP_BIND ? "bind" : op == PS_OP_LISTEN ? "listen" :
	       op == PS_OP_CONNECT ? "connect" : "?";
}

const char *conflict_addr(const struct ps_conflict_event *e, char *buf, size_t len)
{
	return fmt_endpoint(e->addr, e->family, e->port, buf, len);
}

/* ---- addresses ---------------------------------------------------------- */

/* What a bound address covers: all of IPv4 and/or IPv6, or one address. */
struct cover {
	int all4, all6, one4, one6;
	__u32 a4, a6[4];
};

static int is_mapped(const __u32 a[4])
{
	return !a[0] && !a[1] && a[2] == htonl(0xffff);
}

static void cover_of(struct cover *c, int family, const __u32 a[4], int v6only)
{
	memset(c, 0, sizeof(*c));
	if (family == 4 || is_mapped(a)) {
		c->a4 = family == 4 ? a[0] : a[3];
		c->all4 = !c->a4;
		c->one4 = !!c->a4;
		return;
	}
	if (!a[0] && !a[1] && !a[2] && !a[3]) {
		c->all6 = 1;
		c->all4 = !v6only;	/* a dual-stack [::] takes IPv4 too */
		return;
	}
	c->one6 = 1;
	memcpy(c->a6, a, sizeof(c->a6));
}

static int meets(const struct cover *x, const struct cover *y)
{
	int v4 = (x->all4 && (y->all4 || y->one4)) || (y->all4 && x->one4) ||
		 (x->one4 && y->one4 && x->a4 == y->a4);
	int v6 = (x->all6 && (y->all6 || y->one6)) || (y->all6 && x->one6) ||
		 (x->one6 && y->one6 && !memcmp(x->a6, y->a6, sizeof(x->a6)));

	return v4 || v6;
}

int conflict_overlap(const struct ps_conflict_event *e, const struct sock_info *s)
{
	struct cover x, y;

	if (e->bound_dev_if && s->ifindex && (__u32)e->bound_dev_if != s->ifindex)
		return 0;	/* bound to different devices */
	cover_of(&x, e->family, e->addr, !!(e->flags & PS_EV_V6ONLY));
	cover_of(&y, s->family == AF_INET6 ? 6 : 4, s->addr, s->v6only);
	return meets(&x, &y);
}

/* ---- the reason in words ------------------------------------------------ */

static const char *holder_state(const struct sock_info *s)
{
	if (s->proto == IPPROTO_UDP)
		return s->state == TCP_ESTABLISHED_ ? "UDP connected" : "UDP";
	if (s->state == TCP_CLOSE_ || s->state == 13)
		return "bound";
	return tcp_state_name(s->state);
}

/* "812 nginx (LISTEN 0.0.0.0:80)" */
static void holder_desc(const struct conflict_holder *h, char *buf, size_t len)
{
	char ep[64];

	fmt_endpoint(h->sk.addr, h->sk.family == AF_INET6 ? 6 : 4, h->sk.port, ep, sizeof(ep));
	if (h->pid)
		snprintf(buf, len, "%d %s (%s %s)", h->pid, h->comm, holder_state(&h->sk), ep);
	else
		snprintf(buf, len, "no process (%s %s)", holder_state(&h->sk), ep);
}

/* Why the holder's and the asker's options do not let them share. */
static void holder_why(const struct conflict *c, const struct conflict_holder *h, char *buf,
		       size_t len)
{
	const struct ps_conflict_event *e = &c->ev;
	int ra = !!(e->flags & PS_EV_REUSE), rp = !!(e->flags & PS_EV_REUSEPORT);
	int tcp = h->sk.proto == IPPROTO_TCP;

	if (tcp && h->sk.state == TCP_TIME_WAIT_)
		snprintf(buf, len, ": a closed connection in TIME_WAIT%s",
			 ra ? " (its socket had no SO_REUSEADDR)" : "; SO_REUSEADDR would allow it");
	else if (rp && h->reuseport == 1 && h->sk.uid != e->sk_uid)
		snprintf(buf, len, ": both set SO_REUSEPORT but owners differ (uid %u asked, uid %u holds)",
			 e->sk_uid, h->sk.uid);
	else if (h->reuseport == 1 && !rp)
		snprintf(buf, len, " with SO_REUSEPORT; this socket did not set SO_REUSEPORT");
	else if (h->reuseport == 0)
		snprintf(buf, len, " without SO_REUSEPORT%s",
			 tcp && ra && h->reuseaddr == 1 && h->sk.state == TCP_LISTEN_ ?
			 " (SO_REUSEADDR on both does not share a listening port)" : "");
	else if (h->reuseport < 0)
		snprintf(buf, len, " (its SO_REUSEPORT unknown: borrowing its socket needs CAP_SYS_PTRACE)");
	else
		snprintf(buf, len, ": both set SO_REUSEPORT, same owner (uid %u)", e->sk_uid);
}

/* "0.0.0.0:80 overlaps 10.0.0.1:80: " when the addresses differ */
static void overlap_prefix(const struct conflict *c, const struct conflict_holder *h, char *buf,
			   size_t len)
{
	const struct ps_conflict_event *e = &c->ev;
	int hf = h->sk.family == AF_INET6 ? 6 : 4;
	char a[64], b[64];
	struct cover x, y;

	buf[0] = 0;
	cover_of(&x, e->family, e->addr, !!(e->flags & PS_EV_V6ONLY));
	cover_of(&y, hf, h->sk.addr, h->sk.v6only);
	conflict_addr(e, a, sizeof(a));
	fmt_endpoint(h->sk.addr, hf, h->sk.port, b, sizeof(b));
	if (e->family == hf && !memcmp(e->addr, h->sk.addr, e->family == 4 ? 4 : 16))
		return;		/* the same address */
	if (x.one4 && y.one4 && x.a4 == y.a4)
		snprintf(buf, len, "%s is %s: ", a, b);	/* v4-mapped */
	else if ((x.all6 && x.all4) || (y.all6 && y.all4))
		snprintf(buf, len, "%s overlaps %s (dual-stack [::] takes IPv4 too): ", a, b);
	else
		snprintf(buf, len, "%s overlaps %s: ", a, b);
}

static void reason_privileged(struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;

	snprintf(c->reason, sizeof(c->reason),
		 "port %u is below net.ipv4.ip_unprivileged_port_start (%u) and uid %u %s CAP_NET_BIND_SERVICE",
		 e->port, e->prot_sock, e->uid,
		 c->cap_bind == 1 ? "has (refused by an LSM or a cgroup program?)" :
		 c->cap_bind == 0 ? "lacks" : "may lack");
}

static void reason_connect(struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;
	const struct conflict_range *r = &c->r;
	char to[64], from[64];

	conflict_addr(e, to, sizeof(to));
	if (e->lport) {
		fmt_endpoint(e->laddr, e->family, e->lport, from, sizeof(from));
		snprintf(c->reason, sizeof(c->reason),
			 "%s -> %s exists already: the socket was bound to port %u before connect()",
			 from, to, e->lport);
	} else if (!r->known) {
		snprintf(c->reason, sizeof(c->reason), "no free source port toward %s (its namespace "
			 "could not be read)", to);
	} else if (!r->free) {
		snprintf(c->reason, sizeof(c->reason),
			 "all %u connect ports toward %s in use (%u by connections to it: %u ESTABLISHED, "
			 "%u TIME_WAIT; %u held by bind() for every destination; range %u-%u)",
			 r->usable, to, r->usable - r->held, r->state[1], r->state[TCP_TIME_WAIT_],
			 r->held, r->lo, r->hi);
	} else {
		snprintf(c->reason, sizeof(c->reason),
			 "no free source port toward %s when it connected; %u of %u free now (range %u-%u)",
			 to, r->free, r->usable, r->lo, r->hi);
	}
}

static void reason_holder(struct conflict *c)
{
	char pre[200], desc[120], why[160], more[64] = "";

	if (!c->nh) {
		snprintf(c->reason, sizeof(c->reason), "no holder on port %u %s", c->ev.port,
			 c->visible ? "now (it closed meanwhile?)" : "seen (its namespace could not be read)");
		return;
	}
	overlap_prefix(c, &c->h[0], pre, sizeof(pre));
	holder_desc(&c->h[0], desc, sizeof(desc));
	holder_why(c, &c->h[0], why, sizeof(why));
	if (c->nsockets > 1)
		snprintf(more, sizeof(more), " (+%zu more sockets on the port)", c->nsockets - 1);
	snprintf(c->reason, sizeof(c->reason), "%sheld by %s%s%s", pre, desc, why, more);
}

void conflict_reason(struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;
	char a[64];

	if (e->err == EACCES)
		reason_privileged(c);
	else if (e->err == EADDRNOTAVAIL && e->op == PS_OP_CONNECT)
		reason_connect(c);
	else if (e->err == EADDRNOTAVAIL)
		snprintf(c->reason, sizeof(c->reason), "%s is not an address of this host",
			 fmt_addr(e->addr, e->family, a, sizeof(a)));
	else if (e->op == PS_OP_CONNECT)
		snprintf(c->reason, sizeof(c->reason), "the local address is in use");
	else if (!e->port && c->r.known)
		snprintf(c->reason, sizeof(c->reason),
			 "no free port for %s() in %u-%u: %u of %u usable ports in use (%u held by bind())",
			 op_name(e->op), c->r.lo, c->r.hi, c->r.in_use, c->r.usable, c->r.held);
	else if (!e->port)
		snprintf(c->reason, sizeof(c->reason), "no free port for %s()", op_name(e->op));
	else
		reason_holder(c);
}

/* ---- what the kernel and /proc say, in the caller's namespace ----------- */

int explainer_init(struct explainer *x)
{
	memset(x, 0, sizeof(*x));
	x->self_ns = netns_self();
	x->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	x->have_bs = !bindscan_open(&x->bs);	/* without it: listeners and bound sockets only */
	return x->home < 0 ? -errno : 0;
}

void explainer_free(struct explainer *x)
{
	size_t i;

	for (i = 0; i < x->nns; i++)
		close(x->ns[i].fd);
	if (x->have_bs)
		bindscan_close(&x->bs);
	if (x->home >= 0)
		close(x->home);
	memset(x, 0, sizeof(*x));
}

/* A handle on the event's namespace, opened through its process while it
 * lives and kept; -1 when neither works. */
static int ns_fd(struct explainer *x, const struct ps_conflict_event *e)
{
	char path[64];
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < x->nns; i++)
		if (x->ns[i].ino == e->netns)
			return x->ns[i].fd;
	snprintf(path, sizeof(path), "/proc/%u/ns/net", e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_ino != e->netns) {
		close(fd);
		return -1;
	}
	if (x->nns == sizeof(x->ns) / sizeof(x->ns[0])) {
		close(x->ns[0].fd);
		memmove(&x->ns[0], &x->ns[1], --x->nns * sizeof(x->ns[0]));
	}
	x->ns[x->nns].ino = e->netns;
	x->ns[x->nns++].fd = fd;
	return fd;
}

/* 0: here already; 1: entered (leave() after); -1: cannot (CAP_SYS_ADMIN). */
static int enter(struct explainer *x, const struct ps_conflict_event *e)
{
	int fd;

	if (e->netns == x->self_ns)
		return 0;
	fd = ns_fd(x, e);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		return -1;
	return 1;
}

static void leave(struct explainer *x, int entered)
{
	if (entered == 1 && setns(x->home, CLONE_NEWNET))
		abort();	/* never left half-way: everything after would lie */
}

static int rank(const struct sock_info *s)
{
	if (s->proto == IPPROTO_UDP || s->state == TCP_LISTEN_)
		return 0;
	if (s->state == TCP_CLOSE_ || s->state == 13)
		return 1;
	return s->state == TCP_TIME_WAIT_ ? 3 : 2;
}

static int cmp_rank(const void *a, const void *b)
{
	return rank(a) - rank(b);
}

/* Sockets on the asked port that overlap the asked address, the most
 * telling first (listeners, bound, connected, TIME_WAIT). */
static int find_sockets(struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;
	struct sock_info *s, *keep;
	size_t n, i, k = 0;
	int err;

	if (e->proto != IPPROTO_TCP && e->proto != IPPROTO_UDP)
		return 0;
	err = sockets_dump(e->proto, ~0u, &s, &n);
	if (err)
		return err;
	keep = s;
	for (i = 0; i < n; i++) {
		if (s[i].port != e->port || (e->inode && s[i].inode == e->inode) ||
		    s[i].state == 3 || s[i].state == 12 || !conflict_overlap(e, &s[i]))
			continue;	/* another port, the asker itself, a request, elsewhere */
		keep[k++] = s[i];
	}
	qsort(keep, k, sizeof(*keep), cmp_rank);
	c->nsockets = k;
	for (i = 0; i < k && i < CONFLICT_HOLDERS; i++) {
		c->h[i].sk = keep[i];
		c->h[i].reuseaddr = c->h[i].reuseport = -1;
	}
	c->nh = i;
	free(s);
	return 0;
}

/* SO_REUSEADDR and SO_REUSEPORT, borrowed from a holder (same cookie). */
static void read_options(struct conflict_holder *h, const struct holder *hs, size_t n)
{
	size_t i;
	int fd;

	for (i = 0; i < n && h->reuseport < 0; i++) {
		fd = adopt_fd(hs[i].pid, hs[i].fd);
		if (fd < 0)
			continue;
		if (sock_cookie(fd) == h->sk.cookie) {
			h->reuseaddr = sock_reuseaddr(fd);
			h->reuseport = sock_reuseport(fd);
		}
		close(fd);
	}
}

static void name_holders(struct conflict *c)
{
	const struct holder *hs;
	__u32 inodes[CONFLICT_HOLDERS];
	struct owners o;
	size_t i, k, n;
	int serving;

	for (i = 0; i < c->nh; i++)
		inodes[i] = c->h[i].sk.inode;
	if (owners_scan(&o, inodes, c->nh))
		return;
	for (i = 0; i < c->nh; i++) {
		if (!c->h[i].sk.inode)
			continue;	/* TIME_WAIT: no process */
		hs = owners_of(&o, c->h[i].sk.inode, &n);
		for (k = 0, serving = 0; k < n; k++) {
			c->h[i].nprocs += !k || hs[k].pid != hs[k - 1].pid;
			if (c->h[i].pid && (serving || !hs[k].serving))
				continue;	/* the one serving it names it */
			c->h[i].pid = hs[k].pid;
			memcpy(c->h[i].comm, hs[k].comm, sizeof(c->h[i].comm));
			serving = hs[k].serving;
		}
		read_options(&c->h[i], hs, n);
	}
	owners_free(&o);
}

/* The range, and for connect() the destination's row of the model. */
static void read_range(struct explainer *x, struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;
	struct eph_filter f = { .proto = e->proto, .family = e->family, .to_set = 1, .rport = e->port };
	__u64 held[1024];
	const struct eph_dest *d;
	struct eph_view v;
	int have = x->have_bs && !bindscan_read(&x->bs, held);

	memcpy(f.to, e->addr, sizeof(f.to));
	if (e->family == 6 && is_mapped(e->addr)) {	/* keyed as IPv4 by the model */
		f.family = 4;
		memset(f.to, 0, sizeof(f.to));
		f.to[0] = e->addr[3];
	}
	if (e->op != PS_OP_CONNECT)
		f.to_set = f.rport = 0;
	if (eph_collect(&v, have ? held : NULL, &f))
		return;
	c->r = (struct conflict_range){ .known = 1, .lo = v.sc.lo, .hi = v.sc.hi, .usable = v.usable,
					.held = v.held_tcp, .in_use = v.in_use, .held_exact = have };
	d = eph_find(&v, e->proto, f.to, e->port);
	if (d && e->op == PS_OP_CONNECT) {
		c->r.ports = d->ports;
		c->r.free = d->free;
		memcpy(c->r.state, d->state, sizeof(c->r.state));
	}
	eph_free(&v);
}

/* The caller's cgroup and CAP_NET_BIND_SERVICE, from /proc while it lives. */
static void read_proc(struct conflict *c)
{
	char path[64], line[256];
	unsigned long long caps;
	FILE *f;

	c->cap_bind = -1;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", c->ev.pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "0::", 3)) {
				line[strcspn(line, "\n")] = 0;
				snprintf(c->cgroup, sizeof(c->cgroup), "%.150s", line + 3);
			}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%u/status", c->ev.pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			c->cap_bind = !!(caps & (1ULL << CAP_NET_BIND_SERVICE_));
	fclose(f);
}

/* Everything a conflict's explanation depends on, besides who asked. */
static int same_conflict(const struct ps_conflict_event *a, const struct ps_conflict_event *b)
{
	return a->netns == b->netns && a->op == b->op && a->err == b->err && a->proto == b->proto &&
	       a->family == b->family && a->port == b->port && a->lport == b->lport &&
	       a->flags == b->flags && a->sk_uid == b->sk_uid && a->uid == b->uid &&
	       a->bound_dev_if == b->bound_dev_if && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int from_cache(struct explainer *x, struct conflict *c, const struct ps_conflict_event *e)
{
	size_t i;

	for (i = 0; i < EXPLAIN_CACHE; i++)
		if (x->cache[i].until_ns > e->ts_ns && same_conflict(&x->cache[i].c.ev, e)) {
			*c = x->cache[i].c;
			c->ev = *e;
			if (x->cache[i].c.ev.pid != e->pid)
				read_proc(c);	/* (the same process: as it was a moment ago) */
			conflict_reason(c);
			return 1;
		}
	return 0;
}

void conflict_explain(struct explainer *x, struct conflict *c, const struct ps_conflict_event *e)
{
	int in;

	if (from_cache(x, c, e))
		return;
	memset(c, 0, sizeof(*c));
	c->ev = *e;
	read_proc(c);
	in = e->err == EACCES ? 0 : enter(x, e);
	c->visible = in >= 0;
	if (in >= 0 && e->err == EADDRINUSE && e->op != PS_OP_CONNECT && e->port) {
		if (!find_sockets(c))
			name_holders(c);
	} else if (in >= 0 && (e->err == EADDRNOTAVAIL || !e->port) && e->err != EACCES) {
		read_range(x, c);
	}
	leave(x, in);
	conflict_reason(c);
	x->cache[x->next].c = *c;
	x->cache[x->next].until_ns = e->ts_ns + EXPLAIN_TTL_NS;
	x->next = (x->next + 1) % EXPLAIN_CACHE;
}
