// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The client side of a port: source ports per destination (ephemeral.h). */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sockets/ephemeral.h"

#define TCP_TIME_WAIT_ 6
#define TCP_CLOSE_ 7
#define TCP_BOUND_INACTIVE_ 13	/* sock_diag's pseudo-state for bound-only sockets (6.9+) */

#define BIT(m, p) ((m)[(p) / 64] >> ((p) % 64) & 1)
#define SET(m, p) ((m)[(p) / 64] |= 1ULL << ((p) % 64))

const char *tcp_state_name(int state)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
		"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND",
	};

	return state > 0 && state < EPH_STATES ? names[state] : "?";
}

int eph_parse_reserved(const char *s, __u64 bits[1024])
{
	unsigned long a, b;
	char *end;

	memset(bits, 0, 1024 * sizeof(*bits));
	while (*s && *s != '\n') {
		a = strtoul(s, &end, 10);
		if (end == s)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				return -EINVAL;
		}
		if (a > 65535 || b > 65535 || a > b)
			return -EINVAL;
		for (; a <= b; a++)
			SET(bits, a);
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n' && !isspace((unsigned char)*s))
			return -EINVAL;
	}
	return 0;
}

static int read_sysctl(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		err = -EIO;
	fclose(f);
	return err;
}

int eph_sysctl_read(struct eph_sysctl *sc)
{
	char buf[4096];
	unsigned lo, hi;
	int err;

	memset(sc, 0, sizeof(*sc));
	err = read_sysctl("ip_local_port_range", buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535)
		return -EINVAL;
	sc->lo = lo;
	sc->hi = hi;
	if (!read_sysctl("tcp_tw_reuse", buf, sizeof(buf)))
		sc->tw_reuse = atoi(buf);
	if (read_sysctl("ip_local_reserved_ports", buf, sizeof(buf)))
		return 0;	/* none: an older kernel, or not readable */
	return eph_parse_reserved(buf, sc->reserved);
}

/* ---- the model ---------------------------------------------------------- */

/* A socket toward a destination: connected TCP (not listening, not only
 * bound) or connected UDP. */
static int is_client(const struct sock_info *s)
{
	if (!s->rport)
		return 0;
	if (s->proto == IPPROTO_UDP)
		return s->state == TCP_ESTABLISHED_;
	return s->state != TCP_LISTEN_ && s->state != TCP_CLOSE_ && s->state != TCP_BOUND_INACTIVE_ &&
	       s->state != 3 /* SYN_RECV: a server's */;
}

/* A destination's key; an IPv6 socket talking IPv4 (v4-mapped on both
 * ends) competes with IPv4 sockets for its 4-tuple: it is keyed as IPv4. */
struct ent {
	__u8 proto, family;
	__u16 rport;
	__u32 laddr[4], raddr[4];
	__u16 lport;
	__u8 state;
	__u8 pad;
	size_t sock;		/* index into the socket table */
};

static int mapped(const __u32 a[4])
{
	return !a[0] && !a[1] && a[2] == htonl(0xffff);
}

static void make_ent(struct ent *e, const struct sock_info *s, size_t i)
{
	memset(e, 0, sizeof(*e));
	e->proto = s->proto;
	e->family = s->family == AF_INET6 ? 6 : 4;
	e->rport = s->rport;
	e->lport = s->port;
	e->state = s->state;
	e->sock = i;
	if (e->family == 6 && mapped(s->addr) && mapped(s->raddr)) {
		e->family = 4;
		e->laddr[0] = s->addr[3];
		e->raddr[0] = s->raddr[3];
		return;
	}
	memcpy(e->laddr, s->addr, sizeof(e->laddr));
	memcpy(e->raddr, s->raddr, sizeof(e->raddr));
}

static int keep(const struct ent *e, const struct eph_filter *f)
{
	if (f->proto && e->proto != f->proto)
		return 0;
	if (f->rport && e->rport != f->rport)
		return 0;
	if (f->to_set && (e->family != f->family || memcmp(e->raddr, f->to, 16)))
		return 0;
	return 1;
}

/* Destination order: protocol, family, remote, remote port, local; then
 * the local port. */
static int cmp_dest(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	if (x->family != y->family)
		return x->family - y->family;
	c = memcmp(x->raddr, y->raddr, sizeof(x->raddr));
	if (c)
		return c;
	if (x->rport != y->rport)
		return x->rport - y->rport;
	return memcmp(x->laddr, y->laddr, sizeof(x->laddr));
}

static int cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = cmp_dest(a, b);

	return c ? c : x->lport - y->lport;
}

static int loopback(const struct ent *e)
{
	const __u32 lo6[4] = { 0, 0, 0, htonl(1) };

	if (e->family == 4)
		return (ntohl(e->laddr[0]) >> 24) == 127 || (ntohl(e->raddr[0]) >> 24) == 127;
	return !memcmp(e->laddr, lo6, 16) || !memcmp(e->raddr, lo6, 16);
}

/* The ports connect() may use, per protocol: the range minus reserved
 * ports minus ports held by bind() (TCP) or bound (UDP). */
struct avail {
	__u64 usable[1024];
	__u64 listening[1024];	/* TCP ports with a listener: their connected
				 * sockets are the server's side */
	__u64 tcp[1024], udp[1024];
	__u64 inuse[1024];	/* any socket has the port (TCP) */
	__u32 ntcp[2], nudp[2];	/* by parity: [0] even, [1] odd */
};

static void count_avail(struct eph_view *v, struct avail *a)
{
	const __u64 *usable = a->usable;
	unsigned p;

	for (p = v->sc.lo; p <= v->sc.hi; p++) {
		if (!BIT(usable, p))
			continue;
		if (BIT(a->tcp, p))
			a->ntcp[p & 1]++;
		else
			v->held_tcp++;
		v->in_use += BIT(a->inuse, p) || !BIT(a->tcp, p);
		if (BIT(a->udp, p))
			a->nudp[p & 1]++;
		else
			v->held_udp++;
	}
}

static void make_avail(struct eph_view *v, struct avail *a, const struct sock_info *s, size_t n,
		       const __u64 *held)
{
	__u64 *usable = a->usable;
	unsigned p;
	size_t i;

	for (p = v->sc.lo; p <= v->sc.hi; p++) {
		v->range++;
		if (BIT(v->sc.reserved, p))
			continue;
		SET(usable, p);
		v->usable++;
		*(p & 1 ? &v->odd : &v->even) += 1;
	}
	memcpy(a->tcp, usable, sizeof(a->tcp));
	memcpy(a->udp, usable, sizeof(a->udp));
	for (i = 0; held && i < 1024; i++)
		a->tcp[i] &= ~held[i];
	for (i = 0; i < n; i++) {
		if (!s[i].port)
			continue;
		if (s[i].proto == IPPROTO_UDP)
			a->udp[s[i].port / 64] &= ~(1ULL << (s[i].port % 64));
		else if (s[i].state == TCP_LISTEN_ || s[i].state == TCP_CLOSE_ ||
			 s[i].state == TCP_BOUND_INACTIVE_)
			a->tcp[s[i].port / 64] &= ~(1ULL << (s[i].port % 64));
		if (s[i].proto == IPPROTO_TCP && s[i].state == TCP_LISTEN_)
			SET(a->listening, s[i].port);
		if (s[i].proto == IPPROTO_TCP)
			SET(a->inuse, s[i].port);
	}
	v->held_exact = held != NULL;
	count_avail(v, a);
	/* ports bind() holds are used for every destination, even one with
	 * no connection yet */
	v->max_used = v->usable ? (double)v->held_tcp / v->usable : 0;
}

/* One destination from its entries e[0..k) (sorted by local port). */
static int add_dest(struct eph_view *v, const struct ent *e, size_t k, const struct avail *a)
{
	int udp = e->proto == IPPROTO_UDP, twfree = !udp && (v->sc.tw_reuse == 1 ||
						    (v->sc.tw_reuse == 2 && loopback(e)));
	const __u64 *av = udp ? a->udp : a->tcp;
	const __u32 *nav = udp ? a->nudp : a->ntcp;
	__u32 used[2] = {};
	struct eph_dest *d;
	size_t i;

	d = &v->d[v->n++];
	memset(d, 0, sizeof(*d));
	d->proto = e->proto;
	d->family = e->family;
	memcpy(d->laddr, e->laddr, sizeof(d->laddr));
	memcpy(d->raddr, e->raddr, sizeof(d->raddr));
	d->rport = e->rport;
	d->lports = malloc((k ? k : 1) * sizeof(*d->lports));
	d->socks = malloc((k ? k : 1) * sizeof(*d->socks));
	if (!d->lports || !d->socks)
		return -ENOMEM;
	for (i = 0; i < k; i++) {
		d->socks[d->sockets++] = e[i].sock;
		d->state[e[i].state < EPH_STATES ? e[i].state : 0]++;
		if (i && e[i].lport == e[i - 1].lport)
			continue;	/* one port, several sockets (UDP with SO_REUSEADDR) */
		d->lports[d->ports++] = e[i].lport;
		/* UDP: a bound port is out of av already, used or not */
		if (BIT(av, e[i].lport) && !(twfree && e[i].state == TCP_TIME_WAIT_))
			used[e[i].lport & 1]++;
	}
	d->free_even = nav[0] - used[0];
	d->free_odd = nav[1] - used[1];
	d->free = d->free_even + d->free_odd;
	d->used = v->usable ? 1.0 - (double)d->free / v->usable : 1.0;
	d->eta_s = -1;
	if (d->used > v->max_used)
		v->max_used = d->used;
	return 0;
}

/* The destination asked for by the filter, when nothing goes there yet. */
static int add_asked(struct eph_view *v, const struct eph_filter *f, const struct avail *a)
{
	struct ent e = { .proto = f->proto ? f->proto : IPPROTO_TCP, .family = f->family,
			 .rport = f->rport };

	memcpy(e.raddr, f->to, sizeof(e.raddr));
	return add_dest(v, &e, 0, a);
}

static size_t client_ents(const struct sock_info *s, size_t n, const struct eph_filter *f,
			  const struct avail *a, struct ent *e)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!is_client(&s[i]) || (s[i].proto == IPPROTO_TCP && BIT(a->listening, s[i].port)))
			continue;
		make_ent(&e[k], &s[i], i);
		if (keep(&e[k], f))
			k++;
	}
	return k;
}

int eph_build(struct eph_view *v, const struct eph_sysctl *sc, const struct sock_info *s,
	      size_t n, const __u64 *held, const struct eph_filter *f)
{
	struct avail *a = calloc(1, sizeof(*a));
	struct ent *e = malloc((n ? n : 1) * sizeof(*e));
	size_t i, j, k;
	int err = 0;

	memset(v, 0, sizeof(*v));
	v->sc = *sc;
	v->nsockets = n;
	if (!a || !e) {
		err = -ENOMEM;
		goto out;
	}
	make_avail(v, a, s, n, held);
	k = client_ents(s, n, f, a, e);
	qsort(e, k, sizeof(*e), cmp_ent);
	v->d = calloc(k + 1, sizeof(*v->d));
	if (!v->d) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < k && !err; i = j) {
		for (j = i + 1; j < k && !cmp_dest(&e[i], &e[j]); j++)
			;
		err = add_dest(v, &e[i], j - i, a);
	}
	if (!err && !v->n && f->to_set && f->rport)
		err = add_asked(v, f, a);
out:
	free(a);
	free(e);
	if (err)
		eph_free(v);
	return err;
}

/* ---- owners, rates ------------------------------------------------------ */

static int cmp_owner(const void *a, const void *b)
{
	const struct eph_owner *x = a, *y = b;

	return x->n != y->n ? (x->n < y->n ? 1 : -1) : x->pid - y->pid;
}

static void tally(struct eph_owner *t, size_t *nt, size_t cap, const struct holder *h)
{
	size_t i;

	for (i = 0; i < *nt; i++)
		if (t[i].pid == h->pid) {
			t[i].n++;
			return;
		}
	if (*nt == cap)
		return;
	t[*nt].pid = h->pid;
	memcpy(t[*nt].comm, h->comm, sizeof(t[*nt].comm));
	t[(*nt)++].n = 1;
}

void eph_owners(struct eph_view *v, const struct sock_info *s, size_t n, const struct owners *o)
{
	struct eph_owner t[256];
	const struct holder *h;
	size_t d, i, k, nh, nt;

	for (d = 0; d < v->n; d++) {
		nt = 0;
		for (i = 0; i < v->d[d].sockets; i++) {
			if (v->d[d].socks[i] >= n || !s[v->d[d].socks[i]].inode)
				continue;	/* TIME_WAIT: nobody holds it */
			h = owners_of(o, s[v->d[d].socks[i]].inode, &nh);
			for (k = 0; k < nh; k++)
				if (!k || h[k].pid != h[k - 1].pid)
					tally(t, &nt, 256, &h[k]);
		}
		qsort(t, nt, sizeof(t[0]), cmp_owner);
		v->d[d].nowners = nt;
		memcpy(v->d[d].owner, t, (nt < EPH_OWNERS ? nt : EPH_OWNERS) * sizeof(t[0]));
	}
}

static int same_dest(const struct eph_dest *a, const struct eph_dest *b)
{
	return a->proto == b->proto && a->family == b->family && a->rport == b->rport &&
	       !memcmp(a->raddr, b->raddr, sizeof(a->raddr)) &&
	       !memcmp(a->laddr, b->laddr, sizeof(a->laddr));
}

/* Local ports of a not in b (both sorted). */
static __u32 not_in(const __u16 *a, __u32 na, const __u16 *b, __u32 nb)
{
	__u32 i = 0, j = 0, n = 0;

	while (i < na) {
		if (j >= nb || a[i] < b[j])
			n++, i++;
		else if (a[i] > b[j])
			j++;
		else
			i++, j++;
	}
	return n;
}

void eph_rates(struct eph_view *v, const struct eph_view *prev, double secs)
{
	const struct eph_dest *p;
	struct eph_dest *d;
	size_t i, j;
	double before;

	for (i = 0; i < v->n && secs > 0; i++) {
		d = &v->d[i];
		for (p = NULL, j = 0; j < prev->n && !p; j++)
			if (same_dest(d, &prev->d[j]))
				p = &prev->d[j];
		d->new_ps = (p ? not_in(d->lports, d->ports, p->lports, p->ports) : d->ports) / secs;
		before = p ? p->free :
			 prev->usable - (d->proto == IPPROTO_UDP ? prev->held_udp : prev->held_tcp);
		d->growth_ps = (before - d->free) / secs;
		d->eta_s = d->growth_ps > 0 ? d->free / d->growth_ps : -1;
	}
}

const struct eph_dest *eph_find(const struct eph_view *v, __u8 proto, const __u32 raddr[4],
				__u16 rport)
{
	const struct eph_dest *best = NULL;
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->d[i].proto == proto && v->d[i].rport == rport &&
		    !memcmp(v->d[i].raddr, raddr, sizeof(v->d[i].raddr)) &&
		    (!best || v->d[i].used > best->used))
			best = &v->d[i];
	return best;
}

void eph_free(struct eph_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->d[i].lports);
		free(v->d[i].socks);
	}
	free(v->d);
	v->d = NULL;
	v->n = 0;
}

/* ---- collection --------------------------------------------------------- */

static int dump_all(struct sock_info **out, size_t *n)
{
	struct sock_info *t = NULL, *u = NULL, *all;
	size_t nt = 0, nu = 0;
	int err;

	err = sockets_dump(IPPROTO_TCP, ~0u, &t, &nt);	/* every state, bound-only too */
	if (!err)
		err = sockets_dump(IPPROTO_UDP, ~0u, &u, &nu);
	if (err) {
		free(t);
		return err;
	}
	all = realloc(t, (nt + nu + 1) * sizeof(*all));
	if (!all) {
		free(t);
		free(u);
		return -ENOMEM;
	}
	if (nu)
		memcpy(all + nt, u, nu * sizeof(*u));
	free(u);
	*out = all;
	*n = nt + nu;
	return 0;
}

static int name_owners(struct eph_view *v, const struct sock_info *s, size_t n)
{
	struct owners o;
	__u32 *inodes;
	size_t d, i, k = 0;
	int err;

	inodes = malloc((n ? n : 1) * sizeof(*inodes));
	if (!inodes)
		return -ENOMEM;
	for (d = 0; d < v->n; d++)
		for (i = 0; i < v->d[d].sockets; i++)
			if (s[v->d[d].socks[i]].inode)
				inodes[k++] = s[v->d[d].socks[i]].inode;
	err = owners_scan(&o, inodes, k);
	free(inodes);
	if (err)
		return err;
	eph_owners(v, s, n, &o);
	owners_free(&o);
	return 0;
}

int eph_collect(struct eph_view *v, const __u64 *held, const struct eph_filter *f)
{
	struct eph_sysctl *sc = malloc(sizeof(*sc));
	struct sock_info *s = NULL;
	size_t n = 0;
	int err;

	if (!sc)
		return -ENOMEM;
	err = eph_sysctl_read(sc);
	if (!err)
		err = dump_all(&s, &n);
	if (!err)
		err = eph_build(v, sc, s, n, held, f);
	if (!err) {
		err = name_owners(v, s, n);
		if (err)
			eph_free(v);
	}
	free(s);
	free(sc);
	return err;
}
