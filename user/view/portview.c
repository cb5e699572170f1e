// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "view/model.h"
#include "lib/fmt.h"
#include "view/portview.h"
#include "sockets/sockets.h"
#include "steer/steer.h"

const char *kind_name(enum port_kind k)
{
	return k == PORT_SERVICE ? "service" : k == PORT_EPHEMERAL ? "ephemeral" : "unbound";
}

static void local_port_range(unsigned *lo, unsigned *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	*lo = 32768;
	*hi = 60999;
	if (f) {
		if (fscanf(f, "%u %u", lo, hi) != 2) {
			*lo = 32768;
			*hi = 60999;
		}
		fclose(f);
	}
}

/*
 * What the flow table says per (proto, dport): entries, active, distinct
 * clients. One pass: rows are found through an index by protocol and port,
 * clients are counted through a set of (row, source address) pairs, so a
 * refresh costs O(flows) and no sort.
 */
struct client_slot {
	__u32 row1;		/* row index + 1; 0: empty */
	__u32 addr[4];
};

static __u64 client_hash(__u32 row, const __u32 a[4])
{
	__u64 h = row * 0x9E3779B97F4A7C15ULL;
	int i;

	for (i = 0; i < 4; i++)
		h = (h ^ a[i]) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 29);
}

/* 1 when (row, addr) was not in the set yet. */
static int client_add(struct client_slot *set, size_t mask, __u32 row, const __u32 a[4])
{
	size_t i = client_hash(row, a) & mask;

	for (;; i = (i + 1) & mask) {
		if (!set[i].row1) {
			set[i].row1 = row + 1;
			memcpy(set[i].addr, a, sizeof(set[i].addr));
			return 1;
		}
		if (set[i].row1 == row + 1 && !memcmp(set[i].addr, a, sizeof(set[i].addr)))
			return 0;
	}
}

static void count_flows(struct port_view *v, __u64 active_since)
{
	size_t i, cap = 16, n = v->snap.nflows;
	struct client_slot *set;
	__s32 *row_of;		/* [proto is udp][port] -> row, or -1 */

	while (cap < 2 * n)
		cap *= 2;
	row_of = malloc(2 * 65536 * sizeof(*row_of));
	set = calloc(cap, sizeof(*set));
	if (!row_of || !set)
		goto out;
	memset(row_of, 0xff, 2 * 65536 * sizeof(*row_of));
	for (i = 0; i < v->n; i++)
		row_of[(v->rows[i].proto == IPPROTO_UDP) * 65536 + v->rows[i].port] = i;
	for (i = 0; i < n; i++) {
		const struct flow_row *f = &v->snap.flows[i];
		struct port_row_view *r;
		__s32 k;

		if (f->key.proto != IPPROTO_TCP && f->key.proto != IPPROTO_UDP)
			continue;
		k = row_of[(f->key.proto == IPPROTO_UDP) * 65536 + f->key.dport];
		if (k < 0)
			continue;
		r = &v->rows[k];
		r->flows++;
		r->active += f->st.last_ns >= active_since;
		r->clients += client_add(set, cap - 1, k, f->key.saddr);
	}
out:
	free(row_of);
	free(set);
}

static int cmp_key(const void *a, const void *b)
{
	const struct port_row *x = a, *y = b;

	return x->key.proto != y->key.proto ? x->key.proto - y->key.proto : x->key.port - y->key.port;
}

static const struct port_row *find_prev(const struct snapshot *prev, const struct ps_port_key *k)
{
	struct port_row key = { .key = *k };

	return prev ? bsearch(&key, prev->ports, prev->nports, sizeof(key), cmp_key) : NULL;
}

double counter_rate(__u64 now, __u64 before, double secs)
{
	__u64 d = now - before;		/* modular: exact across a wrap */

	if (secs <= 0)
		return 0;
	if (now < before && !(before >> 63 && !(now >> 63)))
		d = now;		/* went back without wrapping: a reset */
	return d / secs;
}

static void fold_ephemeral(struct port_view *v)
{
	struct port_row_view sum[2] = {};	/* tcp, udp */
	size_t i, j = 0, k;

	for (i = 0; i < v->n; i++) {
		struct port_row_view *r = &v->rows[i];

		if (r->kind != PORT_EPHEMERAL) {
			v->rows[j++] = *r;
			continue;
		}
		k = r->proto == IPPROTO_UDP;
		sum[k].proto = r->proto;
		sum[k].kind = PORT_EPHEMERAL;
		sum[k].total.packets += r->total.packets;
		sum[k].total.bytes += r->total.bytes;
		sum[k].total.syn += r->total.syn;
		sum[k].total.synack += r->total.synack;
		sum[k].total.fin += r->total.fin;
		sum[k].total.rst += r->total.rst;
		sum[k].pps += r->pps;
		sum[k].bps += r->bps;
		sum[k].new_ps += r->new_ps;
		sum[k].rst_ps += r->rst_ps;
		sum[k].flows += r->flows;
		sum[k].active += r->active;
		sum[k].clients += r->clients;
		sum[k].folded++;
	}
	for (k = 0; k < 2; k++)
		if (sum[k].folded)
			v->rows[j++] = sum[k];
	v->n = j;
}

static int sort_key;

static int cmp_view(const void *a, const void *b)
{
	const struct port_row_view *x = a, *y = b;
	double dx = 0, dy = 0;

	switch (sort_key) {
	case SORT_PACKETS: dx = x->pps, dy = y->pps; break;
	case SORT_BYTES: dx = x->bps, dy = y->bps; break;
	case SORT_NEW: dx = x->new_ps, dy = y->new_ps; break;
	case SORT_FLOWS: dx = x->flows, dy = y->flows; break;
	}
	if (dx != dy)
		return dx < dy ? 1 : -1;
	/* then by totals, so a quiet view is still ordered by traffic */
	if (sort_key != SORT_PORT && x->total.packets != y->total.packets)
		return x->total.packets < y->total.packets ? 1 : -1;
	if (x->folded != y->folded)
		return x->folded ? 1 : -1;	/* the ephemeral summary last */
	return x->port != y->port ? x->port - y->port : x->proto - y->proto;
}

/* One port's counts: rates against the previous reading. */
static void fill_counts(struct port_view *v, struct port_row_view *r, const struct port_row *pr,
			const struct snapshot *prev)
{
	const struct port_row *pv = find_prev(prev, &pr->key);

	r->proto = pr->key.proto;
	r->port = pr->key.port;
	r->total = pr->st;
	if (prev) {
		r->pps = counter_rate(pr->st.packets, pv ? pv->st.packets : 0, v->interval);
		r->bps = counter_rate(pr->st.bytes, pv ? pv->st.bytes : 0, v->interval);
		r->new_ps = counter_rate(pr->st.syn, pv ? pv->st.syn : 0, v->interval);
		r->rst_ps = counter_rate(pr->st.rst, pv ? pv->st.rst : 0, v->interval);
	}
	v->pps += r->pps;
	v->bps += r->bps;
	v->new_ps += r->new_ps;
}

/* A row's listeners (its namespace's, with --all-netns), established
 * connections and kind. */
static void fill_listeners(struct port_view *v, struct port_row_view *r, const struct est_table *est,
			   __u64 here, unsigned lo, unsigned hi)
{
	__u64 ns = v->all_netns ? (r->ns ? r->ns->ino : 0) : here;
	size_t k;

	r->established = r->proto == IPPROTO_TCP && ns ? est_count(est, ns, r->port) : 0;
	for (k = 0; k < v->gs.n && ns; k++)
		if (v->gs.g[k].proto == r->proto && v->gs.g[k].port == r->port && v->gs.g[k].netns == ns &&
		    r->ngroups < 4)
			r->groups[r->ngroups++] = &v->gs.g[k];
	r->kind = r->ngroups ? PORT_SERVICE : r->port >= lo && r->port <= hi ? PORT_EPHEMERAL : PORT_UNBOUND;
}

/* The socket table: this namespace's, or (all_netns) every one's with
 * the namespaces' addresses. */
static int sockets_read(struct view_sockets *sk, int all_netns)
{
	struct groups_filter gf = { .all = 1 };
	int err;

	memset(sk, 0, sizeof(*sk));
	if (!all_netns) {
		sk->est = est_collect(NULL);
		return groups_collect(&sk->gs, &gf) ?: (sk->est ? 0 : -ENOMEM);
	}
	err = netns_list_all(&sk->nl);
	err = err ?: netns_list_addrs(&sk->nl);
	err = err ?: groups_collect_in(&sk->gs, &gf, &sk->nl);
	if (!err) {
		sk->est = est_collect(&sk->nl);
		err = sk->est ? 0 : -ENOMEM;
	}
	return err;
}

void view_sockets_free(struct view_sockets *sk)
{
	groups_free(&sk->gs);
	netns_list_free(&sk->nl);
	est_free(sk->est);
	memset(sk, 0, sizeof(*sk));
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* keep, read again when it is older than 100 times its cost. */
static int sockets_fresh(struct view_sockets *keep, double now)
{
	double t0;
	int err;

	if (keep->valid && now - keep->at < keep->cost * 100)
		return 0;
	view_sockets_free(keep);
	t0 = cpu_now();
	err = sockets_read(keep, 1);
	keep->cost = cpu_now() - t0;
	keep->at = now;
	keep->valid = !err;
	if (err)
		view_sockets_free(keep);
	return err;
}

/* The view's socket side: keep's (all_netns), or its own. */
static int view_sockets(struct port_view *v, const struct view_opts *o, struct view_sockets *keep,
			struct view_sockets *own)
{
	struct view_sockets *sk = o->all_netns && keep ? keep : own;
	int err = sk == keep ? sockets_fresh(keep, v->now_ns / 1e9) : sockets_read(own, o->all_netns);

	if (err)
		return err;
	v->all_netns = o->all_netns;
	v->gs = sk->gs;
	v->nl = sk->nl;
	v->borrowed = sk == keep;
	v->sockets_age = sk == keep ? v->now_ns / 1e9 - keep->at : 0;
	if (sk == own)	/* the view frees them */
		memset(&own->gs, 0, sizeof(own->gs)), memset(&own->nl, 0, sizeof(own->nl));
	return 0;
}

int view_build(struct port_view *v, struct snapshot *cur, const struct snapshot *prev,
	       double interval, const struct view_opts *o, struct view_sockets *keep)
{
	struct view_sockets own = {};
	__u64 since, here = netns_self();
	struct timespec ts;
	unsigned lo, hi;
	size_t i;
	int err;

	memset(v, 0, sizeof(*v));
	v->snap = *cur;
	memset(cur, 0, sizeof(*cur));
	view_prepare(&v->snap);	/* so this reading can be the next one's `prev` */
	v->interval = interval;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v->now_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	since = v->now_ns - (__u64)(interval * 1e9);
	local_port_range(&lo, &hi);
	err = view_sockets(v, o, keep, &own);
	v->rows = err ? NULL : calloc(v->snap.nports + 1, sizeof(*v->rows));
	if (!err && !v->rows)
		err = -ENOMEM;
	for (i = 0; !err && i < v->snap.nports; i++) {
		const struct port_row *pr = &v->snap.ports[i];

		if ((o->port && pr->key.port != o->port) || (o->proto && pr->key.proto != o->proto))
			continue;
		fill_counts(v, &v->rows[v->n++], pr, prev);
	}
	if (!err && v->all_netns)
		err = view_split_netns(v, prev, since);
	else if (!err)
		count_flows(v, since);
	for (i = 0; !err && i < v->n; i++)
		fill_listeners(v, &v->rows[i], v->borrowed ? keep->est : own.est, here, lo, hi);
	view_sockets_free(&own);
	if (err)
		return err;
	if (!o->all_ports && !o->port)
		fold_ephemeral(v);
	sort_key = o->sort;
	qsort(v->rows, v->n, sizeof(*v->rows), cmp_view);
	return 0;
}

void view_prepare(struct snapshot *s)
{
	qsort(s->ports, s->nports, sizeof(*s->ports), cmp_key);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int view_start(const struct map_fds *fds, struct view_clock *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = snapshot_read(fds, &c->prev);
	if (err)
		return err;
	view_prepare(&c->prev);
	c->t_prev = mono_s();
	return 0;
}

int view_next(const struct map_fds *fds, struct view_clock *c, const struct view_opts *o,
	      struct port_view *v)
{
	struct snapshot cur;
	double t = mono_s();
	int err = snapshot_read(fds, &cur);

	if (err)
		return err;
	err = view_build(v, &cur, &c->prev, t - c->t_prev, o, &c->sk);
	if (err) {
		snapshot_free(&cur);
		view_free(v);
		return err;
	}
	c->t_prev = t;
	return 0;
}

void view_done(struct port_view *v, struct view_clock *c)
{
	snapshot_free(&c->prev);
	c->prev = v->snap;
	memset(&v->snap, 0, sizeof(v->snap));
	view_free(v);
}

void view_stop(struct view_clock *c)
{
	snapshot_free(&c->prev);
	view_sockets_free(&c->sk);
}

void view_free(struct port_view *v)
{
	free(v->rows);
	snapshot_free(&v->snap);
	if (!v->borrowed) {
		groups_free(&v->gs);
		netns_list_free(&v->nl);
	}
	memset(v, 0, sizeof(*v));
}

/* ---- formatting shared by the batch and screen views ---- */

const char *view_human(double v, char *buf, size_t len)
{
	static const char *const u[] = { "", "k", "M", "G", "T" };
	int i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, i ? "%.1f%s" : "%.0f%s", v, u[i]);
	return buf;
}

/* Malformed: every class that is a broken header, not a kind of traffic. */
__u64 view_malformed(const struct snapshot *s)
{
	__u64 n = 0;
	int r;

	for (r = 0; r <= PS_R_CLASS_LAST; r++)
		if (r != PS_R_PARSED_OK && r != PS_R_PORT_FILTERED && r != PS_R_NON_IP &&
		    r != PS_R_ARP && r != PS_R_ICMP && r != PS_R_ICMPV6 && r != PS_R_OTHER_L4 &&
		    r != PS_R_IPV4_FRAG_LATER && r != PS_R_IPV6_FRAG_LATER && r != PS_R_IPV6_NO_NEXT)
			n += s->reasons[r];
	return n;
}

int view_row_container(const struct port_row_view *r, struct container *c)
{
	const struct holder *srv;

	if (!r->ngroups || !r->groups[0]->n)
		return 0;
	srv = member_server(&r->groups[0]->m[0]);
	return srv && container_of(srv->pid, c);
}

/* "c1 docker:web: " (--all-netns): where the row's traffic went. */
static size_t listeners_netns(const struct port_row_view *r, char *buf, size_t len)
{
	struct container ct;
	char lbl[80], cs[128] = "";
	int n;

	if (view_row_container(r, &ct))
		container_short(&ct, cs, sizeof(cs));
	n = snprintf(buf, len, "%s%s%s: ", netns_label(r->ns, lbl, sizeof(lbl)), *cs ? " " : "", cs);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len;
}

/* "4242 nginx, 4243 nginx +1 holder; portscope round-robin" */
void view_listeners(const struct port_row_view *r, char *buf, size_t len)
{
	size_t g, m, off = 0, nserv = 0, nhold = 0;
	struct steer_view sv;
	const char *steer = "";
	char extra[64] = "";

	buf[0] = 0;
	if (r->labelled)
		off = listeners_netns(r, buf, len);
	for (g = 0; g < r->ngroups; g++) {
		const struct group *gr = r->groups[g];

		for (m = 0; m < gr->n; m++) {
			const struct holder *srv = member_server(&gr->m[m]);

			nhold += gr->m[m].nholders - (srv && srv->serving);
			if (!srv)
				continue;
			if (nserv++ < 3 && off < len)
				off += snprintf(buf + off, len - off, "%s%d %s", nserv > 1 ? ", " : "", srv->pid,
						srv->comm);
		}
		steer_view_of(gr, &sv);
		if (sv.steered) {
			snprintf(extra, sizeof(extra), "; portscope %s", policy_name(sv.policy));
			steer = extra;
		} else if (gr->bpf_prog_id) {
			snprintf(extra, sizeof(extra), "; bpf prog %u", gr->bpf_prog_id);
			steer = extra;
		}
	}
	if (r->labelled && !nserv && off >= 2 && off < len)
		buf[off -= 2] = 0;	/* "c1: " with nobody after it: "c1" */
	if (nserv > 3 && off < len)
		off += snprintf(buf + off, len - off, " +%zu", nserv - 3);
	if (nhold && off < len)
		off += snprintf(buf + off, len - off, " +%zu holder%s", nhold, nhold == 1 ? "" : "s");
	if (off < len)
		snprintf(buf + off, len - off, "%s", steer);
}

