// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The per-port view across network namespaces (--all-netns): each port's
 * flows grouped by the namespace that holds their destination address, a
 * row per namespace; established connections per (namespace, port).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "sockets/sockets.h"
#include "view/portview.h"

/* ---- established connections -------------------------------------------- */

struct est_key {
	__u64 netns;
	__u16 port;
	__u32 n;
};

struct est_table {
	__u32 *byport;		/* one namespace: a counter per port */
	struct est_key *keys;	/* several: sorted by (netns, port) */
	size_t n, cap;
};

static int cmp_est(const void *a, const void *b)
{
	const struct est_key *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return (int)x->port - (int)y->port;
}

/* The calling thread's namespace: its ESTABLISHED sockets, one key each. */
static int est_here(void *ctx)
{
	struct est_table *t = ctx;
	struct sock_info *s = NULL;
	size_t i, n = 0;
	void *v;
	int err = sockets_dump(IPPROTO_TCP, 1u << TCP_ESTABLISHED_, &s, &n);

	if (!err && t->n + n > t->cap) {
		t->cap = (t->n + n) * 2;
		v = realloc(t->keys, t->cap * sizeof(*t->keys));
		if (!v)
			err = -ENOMEM;
		else
			t->keys = v;
	}
	for (i = 0; !err && i < n; i++)
		t->keys[t->n++] = (struct est_key){ s[i].netns, s[i].port, 1 };
	free(s);
	return err;
}

/* Sorted, and equal keys merged into one count. */
static void est_merge(struct est_table *t)
{
	size_t i, j = 0;

	if (!t->n)
		return;
	qsort(t->keys, t->n, sizeof(*t->keys), cmp_est);
	for (i = 1; i < t->n; i++) {
		if (!cmp_est(&t->keys[i], &t->keys[j]))
			t->keys[j].n++;
		else
			t->keys[++j] = t->keys[i];
	}
	t->n = j + 1;
}

struct est_table *est_collect(const struct netns_list *nl)
{
	struct est_table *t = calloc(1, sizeof(*t));
	struct sock_info *s = NULL;
	size_t i, n = 0;

	if (!t)
		return NULL;
	if (!nl) {	/* the namespace portscope works in: a table by port */
		t->byport = calloc(65536, sizeof(*t->byport));
		if (t->byport && !sockets_dump(IPPROTO_TCP, 1u << TCP_ESTABLISHED_, &s, &n))
			for (i = 0; i < n; i++)
				t->byport[s[i].port]++;
		free(s);
		if (!t->byport) {
			free(t);
			return NULL;
		}
		return t;
	}
	for (i = 0; i < nl->n; i++)
		netns_visit(&nl->v[i], est_here, t);	/* one that fails counts none */
	est_merge(t);
	return t;
}

__u32 est_count(const struct est_table *t, __u64 netns, __u16 port)
{
	struct est_key key = { netns, port, 0 }, *k;

	if (t->byport)
		return t->byport[port];
	k = t->n ? bsearch(&key, t->keys, t->n, sizeof(key), cmp_est) : NULL;
	return k ? k->n : 0;
}

void est_free(struct est_table *t)
{
	if (!t)
		return;
	free(t->byport);
	free(t->keys);
	free(t);
}

/* ---- rows by namespace ---------------------------------------------------- */

/* A (row, namespace) pair and what its flows add up to. */
struct bucket {
	__u32 row1;		/* row index + 1; 0: empty slot */
	__s32 ns;		/* index in the namespace list; -1: no namespace */
	__u64 pkts, bytes, prev_pkts, prev_bytes;
	__u32 flows, active, clients, syn, fresh;
	__u32 order;		/* insertion order, so rows come out stable */
};

struct buckets {
	struct bucket *b;
	size_t mask, used;
	__u32 (*client)[5];	/* (bucket + 1, source address) set */
	size_t cmask;
};

static size_t mix(__u64 h)
{
	h *= 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

static struct bucket *bucket_of(struct buckets *bs, __u32 row, __s32 ns, int add)
{
	size_t i = mix((__u64)row << 32 | (__u32)ns) & bs->mask;

	for (;; i = (i + 1) & bs->mask) {
		struct bucket *b = &bs->b[i];

		if (b->row1 == row + 1 && b->ns == ns)
			return b;
		if (b->row1)
			continue;
		if (!add)
			return NULL;
		b->row1 = row + 1;
		b->ns = ns;
		b->order = bs->used++;
		return b;
	}
}

/* 1 when the bucket had not seen this client address yet. */
static int client_new(struct buckets *bs, const struct bucket *b, const __u32 a[4])
{
	__u32 id = (__u32)(b - bs->b) + 1;
	size_t i = mix(id ^ ((__u64)a[0] << 32) ^ a[1] ^ ((__u64)a[2] << 17) ^ a[3]) & bs->cmask;

	for (;; i = (i + 1) & bs->cmask) {
		if (!bs->client[i][0]) {
			bs->client[i][0] = id;
			memcpy(&bs->client[i][1], a, 16);
			return 1;
		}
		if (bs->client[i][0] == id && !memcmp(&bs->client[i][1], a, 16))
			return 0;
	}
}

static int buckets_init(struct buckets *bs, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	bs->mask = bs->cmask = cap - 1;
	bs->used = 0;
	bs->b = calloc(cap, sizeof(*bs->b));
	bs->client = calloc(cap, sizeof(*bs->client));
	return bs->b && bs->client ? 0 : -ENOMEM;
}

static void buckets_free(struct buckets *bs)
{
	free(bs->b);
	free(bs->client);
}

/* Rows indexed by (protocol, port); -1: none. */
static __s32 *rows_index(const struct port_view *v)
{
	__s32 *row_of = malloc(2 * 65536 * sizeof(*row_of));
	size_t i;

	if (!row_of)
		return NULL;
	memset(row_of, 0xff, 2 * 65536 * sizeof(*row_of));
	for (i = 0; i < v->n; i++)
		row_of[(v->rows[i].proto == IPPROTO_UDP) * 65536 + v->rows[i].port] = i;
	return row_of;
}

static __s32 ns_index(const struct port_view *v, const struct flow_row *f)
{
	const struct netns_entry *e = netns_of_addr(&v->nl, f->key.family, f->key.daddr);

	return e ? (__s32)(e - v->nl.v) : -1;
}

/* Each flow of the current reading into its (row, namespace) bucket; the
 * previous reading's flows add their counts for the rates. */
static void fill_buckets(struct port_view *v, const struct snapshot *prev, const __s32 *row_of,
			 struct buckets *bs, __u64 active_since)
{
	size_t i;

	for (i = 0; i < v->snap.nflows; i++) {
		const struct flow_row *f = &v->snap.flows[i];
		__s32 k = f->key.proto == IPPROTO_TCP || f->key.proto == IPPROTO_UDP ?
				  row_of[(f->key.proto == IPPROTO_UDP) * 65536 + f->key.dport] : -1;
		struct bucket *b;

		if (k < 0)
			continue;
		b = bucket_of(bs, k, ns_index(v, f), 1);
		b->pkts += f->st.packets;
		b->bytes += f->st.bytes;
		b->flows++;
		b->active += f->st.last_ns >= active_since;
		b->clients += client_new(bs, b, f->key.saddr);
		b->syn += !!(f->st.tcp_flags & PS_TCP_SYN);
		b->fresh += (f->st.tcp_flags & PS_TCP_SYN) && f->st.first_ns >= active_since;
	}
	for (i = 0; prev && i < prev->nflows; i++) {
		const struct flow_row *f = &prev->flows[i];
		__s32 k = f->key.proto == IPPROTO_TCP || f->key.proto == IPPROTO_UDP ?
				  row_of[(f->key.proto == IPPROTO_UDP) * 65536 + f->key.dport] : -1;
		struct bucket *b = k < 0 ? NULL : bucket_of(bs, k, ns_index(v, f), 0);

		if (b) {
			b->prev_pkts += f->st.packets;
			b->prev_bytes += f->st.bytes;
		}
	}
}

static double delta_rate(__u64 now, __u64 before, double secs)
{
	return secs > 0 && now > before ? (now - before) / secs : 0;
}

/* One row of a port split by namespace: its bucket's counts. */
static void split_row(const struct port_view *v, struct port_row_view *r, const struct port_row_view *port,
		      const struct bucket *b)
{
	*r = *port;
	memset(&r->total, 0, sizeof(r->total));
	r->total.packets = b->pkts;
	r->total.bytes = b->bytes;
	r->total.syn = b->syn;
	r->pps = delta_rate(b->pkts, b->prev_pkts, v->interval);
	r->bps = delta_rate(b->bytes, b->prev_bytes, v->interval);
	r->new_ps = v->interval > 0 ? b->fresh / v->interval : 0;
	r->rst_ps = 0;
	r->split = 1;
}

/* What the port counted beyond its namespaces' flows (evicted, or never
 * in the table): to the row of flows of no namespace (out[n - 1] when
 * there is one), else a row of its own. The number of rows added. */
static int remainder_row(struct port_row_view *out, size_t n, const struct port_row_view *port, __u64 pkts,
			 __u64 bytes, double pps, double bps)
{
	struct port_row_view *r = &out[n];
	int add = !(n && !out[n - 1].ns);

	if (port->total.packets <= pkts)
		return 0;
	if (add) {
		*r = *port;
		memset(&r->total, 0, sizeof(r->total));
		r->new_ps = r->rst_ps = r->pps = r->bps = 0;
		r->flows = r->active = r->clients = 0;
		r->ns = NULL;
		r->split = r->labelled = 1;
	} else {
		r = &out[n - 1];
	}
	r->total.packets += port->total.packets - pkts;
	r->total.bytes += port->total.bytes > bytes ? port->total.bytes - bytes : 0;
	r->pps += port->pps > pps ? port->pps - pps : 0;
	r->bps += port->bps > bps ? port->bps - bps : 0;
	return add;
}

static int cmp_bucket(const void *a, const void *b)
{
	const struct bucket *x = a, *y = b;

	if (x->row1 != y->row1)
		return x->row1 < y->row1 ? -1 : 1;
	if ((x->ns < 0) != (y->ns < 0))
		return x->ns < 0 ? 1 : -1;	/* flows of no namespace last */
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The rows of one port (its buckets bs[0..n)): itself labelled when its
 * traffic went to one namespace, else a row per namespace. */
static size_t port_rows(const struct port_view *v, const struct port_row_view *port, const struct bucket *bs,
			size_t n, struct port_row_view *out)
{
	__u64 pkts = 0, bytes = 0;
	double pps = 0, bps = 0;
	size_t i;

	if (n <= 1) {
		*out = *port;
		out->labelled = 1;
		out->ns = n && bs[0].ns >= 0 ? &v->nl.v[bs[0].ns] : NULL;
		if (n) {
			out->flows = bs[0].flows;
			out->active = bs[0].active;
			out->clients = bs[0].clients;
		}
		return 1;
	}
	for (i = 0; i < n; i++) {
		split_row(v, &out[i], port, &bs[i]);
		out[i].labelled = 1;
		out[i].ns = bs[i].ns >= 0 ? &v->nl.v[bs[i].ns] : NULL;
		out[i].flows = bs[i].flows;
		out[i].active = bs[i].active;
		out[i].clients = bs[i].clients;
		pkts += bs[i].pkts, bytes += bs[i].bytes, pps += out[i].pps, bps += out[i].bps;
	}
	return n + remainder_row(out, n, port, pkts, bytes, pps, bps);
}

int view_split_netns(struct port_view *v, const struct snapshot *prev, __u64 active_since)
{
	struct port_row_view *rows = NULL;
	__s32 *row_of = rows_index(v);
	struct buckets bs = {};
	size_t i, j, k, n = 0;
	int err = row_of ? buckets_init(&bs, v->snap.nflows + v->n) : -ENOMEM;

	if (!err)
		fill_buckets(v, prev, row_of, &bs, active_since);
	/* the buckets in use, by row, then as they were met */
	for (i = j = 0; !err && i <= bs.mask; i++)
		if (bs.b[i].row1)
			bs.b[j++] = bs.b[i];
	if (!err) {
		qsort(bs.b, j, sizeof(*bs.b), cmp_bucket);
		rows = calloc(2 * v->n + j + 1, sizeof(*rows));
		err = rows ? 0 : -ENOMEM;
	}
	for (i = k = 0; !err && i < v->n; i++) {
		size_t first = k;

		while (k < j && bs.b[k].row1 == i + 1)
			k++;
		n += port_rows(v, &v->rows[i], &bs.b[first], k - first, &rows[n]);
	}
	if (!err) {
		free(v->rows);
		v->rows = rows;
		v->n = n;
	}
	free(row_of);
	buckets_free(&bs);
	return err;
}
