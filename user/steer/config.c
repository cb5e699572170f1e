// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "lib/parse_arg.h"
#include "steer/config.h"

static const char *const policy_names[PS_POL_MAX] = {
	[PS_POL_HASH] = "hash",		[PS_POL_RR] = "round-robin",
	[PS_POL_WEIGHTED] = "weighted",	[PS_POL_LEAST_CONN] = "least-conn",
	[PS_POL_AFFINITY] = "source-affinity", [PS_POL_CPU] = "cpu",
};

#define PS_NAME_ENTRY(id, name) [PS_S_##id] = name,
static const char *const steer_reason_names[PS_S_MAX] = { PS_STEER_REASONS(PS_NAME_ENTRY) };

int parse_policy(const char *s)
{
	int i;

	for (i = 0; i < PS_POL_MAX; i++)
		if (!strcmp(s, policy_names[i]))
			return i;
	return -1;
}

int parse_policy_arg(const char *s, void *policy)
{
	*(int *)policy = parse_policy(s);
	if (*(int *)policy >= 0)
		return 0;
	pr_warn("unknown policy '%s': use hash, round-robin, weighted, least-conn, source-affinity or cpu\n", s);
	return -EINVAL;
}

int parse_udp_flows(const char *s, void *field)
{
	if (!strcmp(s, "on") || !strcmp(s, "off")) {
		*(int *)field = s[1] == 'n' ? UDP_FLOWS_ON : UDP_FLOWS_OFF;
		return 0;
	}
	pr_warn("invalid --udp-flows '%s': use on or off\n", s);
	return -EINVAL;
}

/* OFF:LEN, the server id's place in a short header's DCID: LEN 1..8 bytes
 * at OFF, within the 255 bytes a connection ID may have (RFC 8999). */
int parse_quic_cid(const char *s, void *field)
{
	struct quic_cid_arg *q = field;
	char buf[32], *colon;
	uint64_t off, len;

	if (!strcmp(s, "off")) {
		*q = (struct quic_cid_arg){ .set = -1 };
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (!colon) {
		pr_warn("invalid --quic-cid '%s': use OFFSET:LENGTH (e.g. 0:8) or off\n", s);
		return -EINVAL;
	}
	*colon = 0;
	if (parse_u64(buf, "--quic-cid offset", 0, 247, &off) ||
	    parse_u64(colon + 1, "--quic-cid length", 1, PS_QUIC_ID_MAX, &len))
		return -EINVAL;
	*q = (struct quic_cid_arg){ .set = 1, .off = off, .len = len };
	return 0;
}

/* PID=HEX: 1 to 8 bytes, two hex digits each */
int parse_quic_id(const char *s, void *list)
{
	struct quic_id_list *l = list;
	const char *eq = strchr(s, '='), *h;
	char pid[32];
	uint64_t v;
	size_t n;

	if (l->n == PS_MAX_MEMBERS) {
		pr_warn("too many --quic-id options (at most %d)\n", PS_MAX_MEMBERS);
		return -EINVAL;
	}
	n = eq ? strlen(eq + 1) : 0;
	for (h = eq ? eq + 1 : ""; *h && strchr("0123456789abcdefABCDEF", *h); h++)
		;
	if (!eq || !n || n % 2 || n > 2 * PS_QUIC_ID_MAX || *h || (size_t)(eq - s) >= sizeof(pid)) {
		pr_warn("invalid --quic-id '%s': use PID=HEX, 1 to 8 bytes (e.g. 4242=0a01)\n", s);
		return -EINVAL;
	}
	snprintf(pid, sizeof(pid), "%.*s", (int)(eq - s), s);
	if (parse_u64(pid, "pid", 1, INT_MAX, &v))
		return -EINVAL;
	l->v[l->n].pid = v;
	l->v[l->n].id = strtoull(eq + 1, NULL, 16);
	l->v[l->n].nbytes = n / 2;
	l->n++;
	return 0;
}

const char *policy_name(__u32 policy)
{
	return policy < PS_POL_MAX ? policy_names[policy] : "?";
}

const char *steer_reason_name(int r)
{
	return r >= 0 && r < PS_S_MAX ? steer_reason_names[r] : "?";
}

int parse_weight(const char *s, void *list)
{
	struct weight_list *l = list;
	struct weight_arg *w = &l->v[l->n];
	char buf[64], *eq;
	uint64_t v;

	if (l->n == PS_MAX_MEMBERS) {
		pr_warn("too many --weight options (at most %d)\n", PS_MAX_MEMBERS);
		return -EINVAL;
	}
	if (strlen(s) >= sizeof(buf)) {
		pr_warn("invalid --weight '%.20s…': too long\n", s);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	eq = strchr(buf, '=');
	if (!eq) {
		pr_warn("invalid --weight '%s': use PID=W or cookie:SOCKET=W\n", s);
		return -EINVAL;
	}
	*eq = 0;
	memset(w, 0, sizeof(*w));
	if (!strncmp(buf, "cookie:", 7)) {
		if (parse_u64(buf + 7, "socket cookie", 1, UINT64_MAX, &v))
			return -EINVAL;
		w->cookie = v;
	} else {
		if (parse_u64(buf, "pid", 1, INT_MAX, &v))
			return -EINVAL;
		w->pid = v;
	}
	if (parse_u64(eq + 1, "weight", 0, 1000, &v))
		return -EINVAL;
	w->w = v;
	l->n++;
	return 0;
}

int parse_pid(const char *s, void *list)
{
	struct pid_list *l = list;
	uint64_t v;

	if (l->n == PS_MAX_MEMBERS) {
		pr_warn("too many pids (at most %d)\n", PS_MAX_MEMBERS);
		return -EINVAL;
	}
	if (parse_u64(s, "pid", 1, INT_MAX, &v))
		return -EINVAL;
	l->v[l->n++] = v;
	return 0;
}

/*
 * Weights scaled to a wheel of at most PS_WHEEL_MAX turns: each member gets
 * its share rounded down, at least one turn (equal weights stay equal; the
 * wheel may be a few turns short of the maximum). When the minimums push
 * the sum past the wheel, the largest shares give a turn each.
 */
static __u64 scale_weights(__u64 *w, __u32 n, __u64 sum)
{
	__u64 total = 0;
	__u32 i, best;

	for (i = 0; i < n; i++) {
		w[i] = w[i] * PS_WHEEL_MAX / sum ?: 1;
		total += w[i];
	}
	while (total > PS_WHEEL_MAX) {
		for (best = 0, i = 1; i < n; i++)
			if (w[i] > w[best])
				best = i;
		w[best]--;
		total--;
	}
	return total;
}

/* Smooth weighted round-robin (nginx's): spreads each slot's turns evenly
 * over the wheel instead of in runs. */
void build_wheel(struct ps_steer_cfg *c, const struct ps_slot_info *si)
{
	__u64 sum = 0, w[PS_MAX_MEMBERS] = {};
	__s64 cur[PS_MAX_MEMBERS] = {};
	__u32 i, k, best;

	for (i = 0; i < c->nlive; i++) {
		w[i] = si[c->live[i]].weight;
		sum += w[i];
	}
	if (sum > PS_WHEEL_MAX)
		sum = scale_weights(w, c->nlive, sum);
	c->wheel_len = sum;
	for (k = 0; k < c->wheel_len; k++) {
		best = 0;
		for (i = 0; i < c->nlive; i++) {
			cur[i] += w[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= sum;
		c->wheel[k] = c->live[best];
	}
}

void build_cfg(struct ps_steer_cfg *c, __u32 policy, const struct ps_slot_info *si, __u32 ncpus)
{
	__u32 i, cpu;

	memset(c, 0, sizeof(*c));
	c->policy = policy;
	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		c->slot_id[i] = si[i].cookie;
		if (si[i].cookie && !si[i].drained && (policy != PS_POL_WEIGHTED || si[i].weight))
			c->live[c->nlive++] = i;
	}
	if (!c->nlive)
		return;
	if (policy == PS_POL_WEIGHTED)
		build_wheel(c, si);
	/* cpu: the member whose SO_INCOMING_CPU is this CPU, else spread */
	c->ncpus = ncpus > PS_MAX_CPUS ? PS_MAX_CPUS : ncpus;
	for (cpu = 0; cpu < c->ncpus; cpu++) {
		c->cpu_slot[cpu] = c->live[cpu % c->nlive];
		for (i = 0; i < c->nlive; i++)
			if (si[c->live[i]].cpu == (__s32)cpu)
				c->cpu_slot[cpu] = c->live[i];
	}
}

void mode_default(struct steer_mode *m, __u8 proto)
{
	memset(m, 0, sizeof(*m));
	m->policy = PS_POL_HASH;
	m->proto = proto;
	m->udp_flows = proto == IPPROTO_UDP;
	m->udp_idle_ns = PS_UDP_IDLE_DEFAULT * 1000000000ULL;
}

void mode_of_cfg(struct steer_mode *m, const struct ps_steer_cfg *c)
{
	memset(m, 0, sizeof(*m));
	m->policy = c->policy;
	m->proto = c->proto;
	m->udp_flows = c->udp_flows;
	m->udp_idle_ns = c->udp_idle_ns;
	m->quic_off = c->quic_off;
	m->quic_len = c->quic_len;
}

void mode_apply(struct steer_mode *m, const struct steer_req *r)
{
	if (r->policy >= 0)
		m->policy = r->policy;
	if (r->udp_flows != UDP_FLOWS_UNCHANGED)
		m->udp_flows = r->udp_flows == UDP_FLOWS_ON;
	if (r->udp_idle > 0)
		m->udp_idle_ns = r->udp_idle * 1e9;
	if (r->quic_cid.set) {
		m->quic_off = r->quic_cid.set > 0 ? r->quic_cid.off : 0;
		m->quic_len = r->quic_cid.set > 0 ? r->quic_cid.len : 0;
	}
}

int quic_claim(const struct steer_mode *m, const struct ps_slot_info *si, __u64 *id)
{
	if (!m->quic_len || !si->cookie)
		return 0;
	*id = si->quic_own ? si->quic_id : si->cookie;
	return m->quic_len >= 8 || *id >> (8 * m->quic_len) == 0;
}

void cfg_set_mode(struct ps_steer_cfg *c, const struct steer_mode *m, const struct ps_slot_info *si)
{
	__u64 id;
	__u32 i;

	c->proto = m->proto;
	c->udp_flows = m->udp_flows;
	c->udp_idle_ns = m->udp_idle_ns;
	c->quic_off = m->quic_off;
	c->quic_len = m->quic_len;
	c->quic_claimed = 0;
	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		c->quic_id[i] = 0;
		if (quic_claim(m, &si[i], &id)) {
			c->quic_id[i] = id;
			c->quic_claimed |= 1ULL << i;
		}
	}
}

int quic_ids_check(const struct steer_mode *m, const struct ps_slot_info *si)
{
	__u64 a, b;
	__u32 i, j;

	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		if (m->quic_len && si[i].cookie && si[i].quic_own && m->quic_len < 8 &&
		    si[i].quic_id >> (8 * m->quic_len)) {
			pr_warn("--quic-id: pid %u's id has more than the %u bytes of --quic-cid\n", si[i].pid,
				m->quic_len);
			return -EINVAL;
		}
		for (j = i + 1; quic_claim(m, &si[i], &a) && j < PS_MAX_MEMBERS; j++)
			if (quic_claim(m, &si[j], &b) && a == b) {
				pr_warn("--quic-id: pids %u and %u would claim the same QUIC id %" PRIx64 "\n",
					si[i].pid, si[j].pid, (uint64_t)a);
				return -EINVAL;
			}
	}
	return 0;
}

static int weight_names(const struct weight_arg *w, __u64 cookie, pid_t pid)
{
	return w->cookie ? w->cookie == cookie : w->pid == pid;
}

static int pid_listed(const struct pid_list *l, pid_t pid)
{
	size_t k;

	for (k = 0; k < l->n; k++)
		if (l->v[k] == pid)
			return 1;
	return 0;
}

void apply_args(struct ps_slot_info *si, const struct steer_req *r)
{
	size_t k;
	__u32 i;

	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		if (!si[i].cookie)
			continue;
		for (k = 0; k < r->weights.n; k++)
			if (weight_names(&r->weights.v[k], si[i].cookie, si[i].pid))
				si[i].weight = r->weights.v[k].w;
		if (pid_listed(&r->drain, si[i].pid))
			si[i].drained = 1;
		if (pid_listed(&r->undrain, si[i].pid))
			si[i].drained = 0;
		for (k = 0; k < r->quic_ids.n; k++)
			if (r->quic_ids.v[k].pid == (pid_t)si[i].pid) {
				si[i].quic_id = r->quic_ids.v[k].id;
				si[i].quic_own = 1;
			}
	}
}

int slots_idle(const struct ps_slot_info *si)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < PS_MAX_MEMBERS; i++)
		if (si[i].cookie && !si[i].drained)
			sum += si[i].weight;
	return !sum;
}

/* Every pid named on the command line must serve a member of the group. */
static int check_pids(const struct steer_req *r, const struct group *g)
{
	const struct pid_list *lists[] = { &r->drain, &r->undrain };
	size_t i, l, k;
	int found;

	for (i = 0; i < r->quic_ids.n; i++)
		if (!group_member_of(g, r->quic_ids.v[i].pid, 0)) {
			pr_warn("--quic-id: pid %d serves no socket of this group\n", r->quic_ids.v[i].pid);
			return -EINVAL;
		}

	for (i = 0; i < r->weights.n; i++) {
		const struct weight_arg *w = &r->weights.v[i];

		for (found = 0, k = 0; k < g->n; k++)
			found |= w->cookie ? g->m[k].sk.cookie == w->cookie
					   : group_member_of(g, w->pid, k) == &g->m[k];
		if (found)
			continue;
		if (w->cookie)
			pr_warn("--weight: socket %" PRIu64 " is not a member of this group\n",
				(uint64_t)w->cookie);
		else
			pr_warn("--weight: pid %d serves no socket of this group\n", w->pid);
		return -EINVAL;
	}
	for (l = 0; l < 2; l++)
		for (i = 0; i < lists[l]->n; i++)
			if (!group_member_of(g, lists[l]->v[i], 0)) {
				pr_warn("%s: pid %d serves no socket of this group\n",
					l ? "--undrain" : "--drain", lists[l]->v[i]);
				return -EINVAL;
			}
	return 0;
}

/* The weight r gives member m (1 unless named), and whether r drains it
 * (apply_args: an --undrain of the same pid wins). */
static __u32 req_weight(const struct steer_req *r, const struct member *m, pid_t pid, int *drained)
{
	__u32 w = 1;
	size_t i;

	for (i = 0; i < r->weights.n; i++)
		if (weight_names(&r->weights.v[i], m->sk.cookie, pid))
			w = r->weights.v[i].w;
	*drained = pid_listed(&r->drain, pid) && !pid_listed(&r->undrain, pid);
	return w;
}

/* What r leaves to choose from: 1 every member drained, 2 the members left
 * all weighted 0, 0 something. */
static int leaves_none(const struct steer_req *r, const struct group *g)
{
	size_t k, live = 0;
	__u64 sum = 0;
	__u32 w;
	int drained;

	for (k = 0; k < g->n; k++) {
		const struct holder *srv = member_server(&g->m[k]);

		w = req_weight(r, &g->m[k], srv ? srv->pid : 0, &drained);
		live += !drained;
		sum += drained ? 0 : w;
	}
	if (g->n && !live)
		return 1;
	return r->weights.n && !sum ? 2 : 0;
}

int steer_req_check(const struct steer_req *r, const struct group *g)
{
	if (check_pids(r, g))
		return -EINVAL;
	switch (leaves_none(r, g)) {
	case 1:
		pr_warn("--drain: that is every member of the group; none would take a connection\n");
		return -EINVAL;
	case 2:
		pr_warn("--weight: the members left are weighted 0; none would get a connection\n");
		return -EINVAL;
	}
	if (r->policy == PS_POL_LEAST_CONN && g->proto != IPPROTO_TCP) {
		pr_warn("least-conn needs connections: use it on TCP groups\n");
		return -EINVAL;
	}
	if (g->proto != IPPROTO_UDP && (r->udp_flows || r->udp_idle > 0 || r->udp_entries ||
					 r->quic_cid.set || r->quic_ids.n)) {
		pr_warn("--udp-flows, --udp-idle, --udp-flow-entries, --quic-cid and --quic-id apply to UDP groups\n");
		return -EINVAL;
	}
	return 0;
}
