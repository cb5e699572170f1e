// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/fmt.h"
#include "lib/json_writer.h"
#include "view/render_conflicts.h"

/* Event times are CLOCK_MONOTONIC (bpf_ktime_get_ns): shown as wall time. */
static void wall_time(__u64 mono_ns, char *buf, size_t len)
{
	struct timespec m, r;
	double t;
	time_t secs;
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	t = r.tv_sec + r.tv_nsec / 1e9 - (m.tv_sec + m.tv_nsec / 1e9 - mono_ns / 1e9);
	secs = (time_t)t;
	localtime_r(&secs, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03d", (int)((t - secs) * 1000));
}

static const char *proto_label(__u8 p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP ? proto_name(p) : p == 132 ? "sctp" : "other";
}

void conflict_text_header(FILE *f)
{
	fprintf(f, "%-12s %-7s %-15s %-6s %-8s %-14s %-5s %s\n", "TIME", "PID", "COMM", "UID", "CALL",
		"ERRNO", "PROTO", "ADDRESS");
	fflush(f);
}

void conflict_text(FILE *f, const struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;
	char when[32], a[64];

	wall_time(e->ts_ns, when, sizeof(when));
	fprintf(f, "%-12s %-7u %-15s %-6u %-8s %-14s %-5s %s\n", when, e->pid, e->comm, e->uid,
		op_name(e->op), errno_name(e->err), proto_label(e->proto), conflict_addr(e, a, sizeof(a)));
	fprintf(f, "%-12s %s\n", "", c->reason);
	fflush(f);
}

static void sock_json(json_writer_t *w, const struct ps_conflict_event *e)
{
	char a[64];

	jsonw_name(w, "socket");
	jsonw_start_object(w);
	jsonw_bool_field(w, "resolved", !!(e->flags & PS_EV_SOCKET));
	jsonw_string_field(w, "local", fmt_addr(e->laddr, e->family, a, sizeof(a)));
	jsonw_uint_field(w, "local_port", e->lport);
	jsonw_bool_field(w, "reuseaddr", !!(e->flags & PS_EV_REUSE));
	jsonw_bool_field(w, "reuseport", !!(e->flags & PS_EV_REUSEPORT));
	jsonw_bool_field(w, "v6only", !!(e->flags & PS_EV_V6ONLY));
	jsonw_uint_field(w, "uid", e->sk_uid);
	jsonw_int_field(w, "bound_dev_if", e->bound_dev_if);
	jsonw_uint_field(w, "inode", e->inode);
	jsonw_end_object(w);
}

static void opt_json(json_writer_t *w, const char *name, int v)
{
	if (v < 0)
		jsonw_null_field(w, name);
	else
		jsonw_bool_field(w, name, v);
}

static void holders_json(json_writer_t *w, const struct conflict *c)
{
	char a[64];
	size_t i;

	jsonw_name(w, "holders");
	jsonw_start_array(w);
	for (i = 0; i < c->nh; i++) {
		const struct conflict_holder *h = &c->h[i];

		jsonw_start_object(w);
		if (h->pid)
			jsonw_int_field(w, "pid", h->pid);
		else
			jsonw_null_field(w, "pid");
		jsonw_string_field(w, "comm", h->comm);
		jsonw_uint_field(w, "processes", h->nprocs);
		jsonw_string_field(w, "state", h->sk.proto == IPPROTO_UDP ? "UDP" : tcp_state_name(h->sk.state));
		jsonw_string_field(w, "addr", fmt_addr(h->sk.addr, family_version(h->sk.family), a, sizeof(a)));
		jsonw_uint_field(w, "port", h->sk.port);
		jsonw_uint_field(w, "uid", h->sk.uid);
		opt_json(w, "reuseaddr", h->reuseaddr);
		opt_json(w, "reuseport", h->reuseport);
		jsonw_bool_field(w, "v6only", h->sk.v6only);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "sockets_on_port", c->nsockets);
}

static void range_json(json_writer_t *w, const struct conflict *c)
{
	const struct conflict_range *r = &c->r;

	if (!r->known)
		return;
	jsonw_name(w, "range");
	jsonw_start_object(w);
	jsonw_uint_field(w, "lo", r->lo);
	jsonw_uint_field(w, "hi", r->hi);
	jsonw_uint_field(w, "usable", r->usable);
	jsonw_uint_field(w, "held_by_bind", r->held);
	jsonw_uint_field(w, "in_use", r->in_use);
	if (c->ev.op == PS_OP_CONNECT) {
		jsonw_uint_field(w, "ports_to_destination", r->ports);
		jsonw_uint_field(w, "free_to_destination", r->free);
	}
	jsonw_end_object(w);
}

static void who_json(json_writer_t *w, const struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;

	jsonw_uint_field(w, "pid", e->pid);
	jsonw_uint_field(w, "tid", e->tid);
	jsonw_string_field(w, "comm", e->comm);
	jsonw_uint_field(w, "uid", e->uid);
	jsonw_uint_field(w, "gid", e->gid);
	jsonw_uint_field(w, "netns", e->netns);
	jsonw_uint_field(w, "cgroup_id", e->cgroup_id);
	jsonw_string_field(w, "cgroup", c->cgroup);
	opt_json(w, "cap_net_bind_service", c->cap_bind);
}

void conflict_json(FILE *f, const struct conflict *c)
{
	const struct ps_conflict_event *e = &c->ev;
	json_writer_t w;
	char when[32], a[64];

	wall_time(e->ts_ns, when, sizeof(when));
	jsonw_init(&w, f);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "time", when);
	jsonw_uint_field(&w, "ts_ns", e->ts_ns);
	jsonw_string_field(&w, "call", op_name(e->op));
	jsonw_string_field(&w, "errno", errno_name(e->err));
	jsonw_uint_field(&w, "errno_num", e->err);
	who_json(&w, c);
	jsonw_string_field(&w, "proto", proto_label(e->proto));
	jsonw_uint_field(&w, "family", e->family);
	jsonw_string_field(&w, "addr", fmt_addr(e->addr, e->family, a, sizeof(a)));
	jsonw_uint_field(&w, "port", e->port);
	sock_json(&w, e);
	if (e->err == EADDRINUSE && e->op != PS_OP_CONNECT && e->port)
		holders_json(&w, c);
	range_json(&w, c);
	jsonw_string_field(&w, "reason", c->reason);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

static int cmp_count(const void *a, const void *b)
{
	const struct conflict_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static const struct conflict_seen *seen_of(const struct conflict_summary *s,
					   const struct ps_conflict_key *k)
{
	size_t i;

	for (i = 0; i < s->nseen; i++)
		if (!memcmp(&s->seen[i].key, k, sizeof(*k)))
			return &s->seen[i];
	return NULL;
}

static __u64 total(const struct conflict_summary *s)
{
	__u64 t = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		t += s->counts[i].n;
	return t;
}

void conflict_summary_text(FILE *f, const struct conflict_summary *s)
{
	const struct conflict_seen *w;
	size_t i, k;
	int r;

	qsort(s->counts, s->n, sizeof(*s->counts), cmp_count);
	fprintf(f, "portscope conflicts: %.1f s, %" PRIu64 " failing calls\n", s->secs,
		(uint64_t)total(s));
	fprintf(f, "%-8s %-14s %-5s %-6s %10s  %s\n", "CALL", "ERRNO", "PROTO", "PORT", "COUNT", "SEEN");
	for (i = 0; i < s->n; i++) {
		const struct ps_conflict_key *key = &s->counts[i].key;

		fprintf(f, "%-8s %-14s %-5s %-6u %10" PRIu64 " ", op_name(key->op), errno_name(key->err),
			proto_label(key->proto), key->port, (uint64_t)s->counts[i].n);
		w = seen_of(s, key);
		for (k = 0; w && k < w->nwho; k++)
			fprintf(f, "%s%u %s", k ? ", " : " ", w->who[k].pid, w->who[k].comm);
		fprintf(f, "\n");
	}
	fprintf(f, "tracer:");
	for (r = 0; r < PS_C_MAX; r++)
		fprintf(f, "%s %s %" PRIu64, r ? "," : "", conflict_reason_name(r), (uint64_t)s->reasons[r]);
	fprintf(f, "\n");
	fflush(f);
}

void conflict_summary_json(FILE *f, const struct conflict_summary *s)
{
	const struct conflict_seen *w;
	json_writer_t jw;
	size_t i, k;
	int r;

	qsort(s->counts, s->n, sizeof(*s->counts), cmp_count);
	jsonw_init(&jw, f);
	jsonw_start_object(&jw);
	jsonw_name(&jw, "summary");
	jsonw_start_object(&jw);
	jsonw_float_field(&jw, "seconds", "%.1f", s->secs);
	jsonw_uint_field(&jw, "total", total(s));
	jsonw_name(&jw, "conflicts");
	jsonw_start_array(&jw);
	for (i = 0; i < s->n; i++) {
		const struct ps_conflict_key *key = &s->counts[i].key;

		jsonw_start_object(&jw);
		jsonw_string_field(&jw, "call", op_name(key->op));
		jsonw_string_field(&jw, "errno", errno_name(key->err));
		jsonw_string_field(&jw, "proto", proto_label(key->proto));
		jsonw_uint_field(&jw, "family", key->family);
		jsonw_uint_field(&jw, "port", key->port);
		jsonw_uint_field(&jw, "count", s->counts[i].n);
		jsonw_name(&jw, "seen");
		jsonw_start_array(&jw);
		for (k = 0, w = seen_of(s, key); w && k < w->nwho; k++) {
			jsonw_start_object(&jw);
			jsonw_uint_field(&jw, "pid", w->who[k].pid);
			jsonw_string_field(&jw, "comm", w->who[k].comm);
			jsonw_end_object(&jw);
		}
		jsonw_end_array(&jw);
		jsonw_end_object(&jw);
	}
	jsonw_end_array(&jw);
	jsonw_name(&jw, "tracer");
	jsonw_start_object(&jw);
	for (r = 0; r < PS_C_MAX; r++)
		jsonw_uint_field(&jw, conflict_reason_name(r), s->reasons[r]);
	jsonw_end_object(&jw);
	jsonw_end_object(&jw);
	jsonw_end_object(&jw);
	jsonw_newline(&jw);
}
