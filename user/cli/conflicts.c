// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope conflicts: every bind(), listen() and connect() that fails for
 * a port reason, live, with who holds the port and why (trace/conflict.h);
 * or, with --summary, counted only and summed up on exit.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/commands.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "lib/signals.h"
#include "trace/conflict.h"
#include "trace/tracer.h"
#include "view/render_conflicts.h"

struct conflicts_cfg {
	struct netns_sel ns;	/* --netns: trace that namespace */
	__u16 port;		/* only conflicts on this port (0: all) */
	__u8 proto;
	int all_netns;
	double duration;	/* 0: until interrupted */
	__u32 count;		/* conflicts shown, then exit (0: no limit) */
	int summary;
};

struct run {
	const struct conflicts_cfg *cfg;
	int json;
	struct explainer x;
	struct conflict c;
	__u32 shown;
	struct conflict_seen seen[256];
	size_t nseen;
};

static int wanted(const struct conflicts_cfg *cfg, const struct ps_conflict_event *e)
{
	return (!cfg->port || e->port == cfg->port) && (!cfg->proto || e->proto == cfg->proto);
}

static void key_of(const struct ps_conflict_event *e, struct ps_conflict_key *k)
{
	memset(k, 0, sizeof(*k));
	k->op = e->op;
	k->err = e->err;
	k->proto = e->proto;
	k->family = e->family;
	k->port = e->port;
}

/* --summary: the first three processes seen on each key. */
static void remember(struct run *r, const struct ps_conflict_event *e)
{
	struct conflict_seen *s = NULL;
	struct ps_conflict_key k;
	size_t i;

	key_of(e, &k);
	for (i = 0; i < r->nseen && !s; i++)
		if (!memcmp(&r->seen[i].key, &k, sizeof(k)))
			s = &r->seen[i];
	if (!s && r->nseen == sizeof(r->seen) / sizeof(r->seen[0]))
		return;
	if (!s) {
		s = &r->seen[r->nseen++];
		memset(s, 0, sizeof(*s));
		s->key = k;
	}
	for (i = 0; i < s->nwho; i++)
		if (s->who[i].pid == e->pid)
			return;
	if (s->nwho < 3) {
		s->who[s->nwho].pid = e->pid;
		memcpy(s->who[s->nwho++].comm, e->comm, sizeof(e->comm));
	}
}

static int on_event(void *ctx, const struct ps_conflict_event *e)
{
	struct run *r = ctx;

	if (r->cfg->count && r->shown >= r->cfg->count)
		return -ECANCELED;	/* a negative return stops the ring buffer's poll */
	if (!wanted(r->cfg, e))
		return 0;
	if (r->cfg->summary) {
		remember(r, e);
		return 0;
	}
	conflict_explain(&r->x, &r->c, e);
	(r->json ? conflict_json : conflict_text)(stdout, &r->c);
	r->shown++;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The counts (exact) filtered as the events were. */
static void summary(struct run *r, struct tracer *t, double secs)
{
	struct conflict_summary s = { .seen = r->seen, .nseen = r->nseen, .secs = secs };
	size_t i, k = 0;

	if (tracer_counts(t, &s.counts, &s.n) || tracer_reasons(t, s.reasons)) {
		pr_warn("cannot read the tracer's counters\n");
		return;
	}
	for (i = 0; i < s.n; i++)
		if ((!r->cfg->port || s.counts[i].key.port == r->cfg->port) &&
		    (!r->cfg->proto || s.counts[i].key.proto == r->cfg->proto))
			s.counts[k++] = s.counts[i];
	s.n = k;
	(r->json ? conflict_summary_json : conflict_summary_text)(stdout, &s);
	free(s.counts);
}

/* What the tracer lost, on stderr: always when events were dropped. */
static void say_losses(struct tracer *t)
{
	__u64 rs[PS_C_MAX];

	if (tracer_reasons(t, rs))
		return;
	if (rs[PS_C_RINGBUF_FULL])
		pr_warn("%llu conflicts not shown: the ring buffer was full (counted in --summary "
			"and in metrics)\n", (unsigned long long)rs[PS_C_RINGBUF_FULL]);
	pr_info("tracer: events %llu, dropped_ringbuf_full %llu, skipped_other_netns %llu\n",
		(unsigned long long)rs[PS_C_EVENTS], (unsigned long long)rs[PS_C_RINGBUF_FULL],
		(unsigned long long)rs[PS_C_OTHER_NETNS]);
}

static int trace_loop(struct run *r, struct tracer *t)
{
	double start = now_s();
	int n = 0;

	pr_info("tracing failing bind/listen/connect %s (Ctrl-C to stop)\n",
		r->cfg->all_netns ? "in every network namespace" : "in this network namespace");
	while (!ps_stop && n >= 0) {
		n = tracer_poll(t, 100);
		if (n > 0 && r->cfg->count && r->shown >= r->cfg->count)
			break;
		if (r->cfg->duration && now_s() - start >= r->cfg->duration)
			break;
	}
	if (n < 0 && !(r->cfg->count && r->shown >= r->cfg->count)) {
		pr_warn("cannot read the ring buffer: %s\n", strerror(-n));
		return EXIT_FAIL;
	}
	while (!(r->cfg->count && r->shown >= r->cfg->count) && tracer_poll(t, 0) > 0)
		;	/* what is left */
	if (r->cfg->summary)
		summary(r, t, now_s() - start);
	else
		say_losses(t);
	return EXIT_OK;
}

static int run_conflicts(void *cfg, const struct common *c)
{
	struct conflicts_cfg *a = cfg;
	struct tracer t;
	struct run *r;
	int ret;

	if (tracer_require_caps() || netns_choose(&a->ns, a->all_netns, 0))
		return EXIT_USAGE;
	r = calloc(1, sizeof(*r));
	if (!r)
		return EXIT_FAIL;
	r->cfg = a;
	r->json = c->json;
	if (!a->summary && explainer_init(&r->x)) {
		free(r);
		return EXIT_FAIL;
	}
	ret = tracer_open(&t, a->all_netns ? 0 : (__u32)netns_self(), on_event, r) ? EXIT_FAIL : EXIT_OK;
	if (!ret) {
		stop_on_signals();
		if (!a->summary && !c->json)
			conflict_text_header(stdout);
		ret = trace_loop(r, &t);
		tracer_close(&t);
	}
	if (!a->summary)
		explainer_free(&r->x);
	free(r);
	return ret;
}

#define CF(f) OPTF(conflicts_cfg, f)

static const struct opt conflicts_opts[] = {
	{ "port", 'p', OPT_PORT, CF(port), "P", "only conflicts on port P (the port asked for;\n"
						 "connect(): the destination's)" },
	{ "proto", 'P', OPT_PROTO, CF(proto), "PROTO", "only tcp or udp", .values = "tcp udp" },
	OPT_NETNS_ROW(conflicts_cfg, ns),
	OPT_ALL_NETNS_ROW(conflicts_cfg, all_netns,
			  "every network namespace (holders there are read by entering\n"
			  "it: CAP_SYS_ADMIN); default: this one, or --netns NS"),
	{ "duration", 0, OPT_SECONDS, CF(duration), "S", "stop after S seconds (0.1..31536000)",
	  .min = 0.1, .max = 31536000 },
	{ "count", 'c', OPT_U32, CF(count), "N", "stop after N conflicts shown", .min = 1,
	  .max = 1000000000 },
	{ "summary", 0, OPT_FLAG, CF(summary), NULL,
	  "count only (in the kernel: exact under any load) and print\n"
	  "a summary on exit (bcc's -c)" },
	{ NULL },
};

const struct cmd cmd_conflicts = {
	.name = "conflicts",
	.summary = "failing bind/listen/connect for a port reason, and who holds the port",
	.about = "Every bind(), listen() and connect() that fails with EADDRINUSE,\n"
		 "EADDRNOTAVAIL, or EACCES on a privileged port, live: time, pid, comm, uid,\n"
		 "network namespace and cgroup of the caller, protocol, the address and\n"
		 "port asked for, the errno's name, and the reason in words — who holds\n"
		 "the port (pid, comm, state, SO_REUSEADDR/SO_REUSEPORT on both sides, owner\n"
		 "uid), which addresses overlap, or for connect() how many source ports\n"
		 "toward the destination are in use.\n"
		 "\n"
		 "Hooks: the syscalls/sys_exit_bind, _listen and _connect tracepoints (a\n"
		 "stable ABI); a succeeding call costs one comparison. Events go through a\n"
		 "ring buffer; the kernel also counts every conflict by call, errno,\n"
		 "protocol and port, so --summary and metrics stay exact when the ring\n"
		 "buffer is full, and what was dropped is counted by reason.\n"
		 "\n"
		 "Needs CAP_BPF and CAP_PERFMON (tracepoints; and CAP_SYS_ADMIN where\n"
		 "kernel.perf_event_paranoid is above 2, Debian's default), CAP_SYS_PTRACE to read the\n"
		 "holders' SO_REUSEADDR/SO_REUSEPORT (pidfd_getfd) and their /proc entries,\n"
		 "CAP_SYS_ADMIN with --all-netns to read other namespaces' sockets, and\n"
		 "tracefs (mounted on /sys/kernel/tracing when missing).",
	.examples = "sudo portscope conflicts\n"
		    "sudo portscope conflicts --port 80 --json\n"
		    "sudo portscope conflicts --netns /run/docker/netns/1a2b3c4d5e6f\n"
		    "sudo portscope conflicts --all-netns --summary --duration 60",
	.notes = "--count N stops after N conflicts (as top's --count N); the\n"
		 "summary bcc tools print for -c is --summary here.",
	.opts = conflicts_opts,
	.cfg_size = sizeof(struct conflicts_cfg),
	.run = run_conflicts,
	.json = 1,
};
