// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Steering a SO_REUSEPORT group: pick the member socket that gets each new
 * connection or datagram, by a policy set in maps at run time, and place
 * connections migrating off a closing listener (SELECT_OR_MIGRATE, 5.14+).
 *
 * A selection that fails returns SK_PASS without a selection: the kernel's
 * own hash takes over, and the failure is counted by reason. The program
 * never returns SK_DROP.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "defs.bpf.h"
#include "portscope.h"

#define ENOENT 2
#define TCP_ESTABLISHED 1
#define TCP_CLOSE 7
#define SELECT_TRIES 4

/* Set by the loader between open and load. */
const volatile __u16 group_port = 0;	/* for the state tracepoint */

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, PS_MAX_MEMBERS);
	__type(key, __u32);
	__type(value, __u64);
} members SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct ps_steer_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ps_steer_meta);
} meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_MAX_MEMBERS);
	__type(key, __u32);
	__type(value, struct ps_slot_stats);
} slot_stats SEC(".maps");

/* Established connections per slot (least-conn), kept by track_state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_MAX_MEMBERS);
	__type(key, __u32);
	__type(value, __s64);
} active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_S_MAX);
	__type(key, __u32);
	__type(value, __u64);
} steer_reasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ps_conn_key);
	__type(value, struct ps_conn_val);
} conns SEC(".maps");

/* UDP flows: the peer -> the member it was placed on (size set at load). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PS_UDP_FLOWS_DEFAULT);
	__type(key, struct ps_conn_key);
	__type(value, struct ps_udp_flow);
} udp_flows SEC(".maps");

/* QUIC: a server id -> the slot claiming it (checked against the
 * configuration in use, which userspace flips after writing this). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * PS_MAX_MEMBERS);
	__type(key, __u64);
	__type(value, __u32);
} quic_ids SEC(".maps");

/* Written and read by userspace only: who each slot is. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_MAX_MEMBERS);
	__type(key, __u32);
	__type(value, struct ps_slot_info);
} slots SEC(".maps");

static __always_inline void count(enum ps_steer_reason r)
{
	percpu_inc(&steer_reasons, r);
}

static __always_inline __u32 mix32(__u64 x)	/* murmur3's finaliser */
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (__u32)x;
}

static __always_inline __u64 next_rr(void)
{
	__u64 kb;
	__u64 *c = bpf_map_lookup_elem(&rr, key32(&kb, 0));

	return c ? __sync_fetch_and_add(c, 1) : 0;
}

/* An IPv4 client of a dual-stack listener is ::ffff:a.b.c.d on the child
 * socket: key it as a.b.c.d, as the packet shows it. */
static __always_inline void unmap_v4(struct ps_conn_key *k)
{
	if (!k->addr[0] && !k->addr[1] && k->addr[2] == bpf_htonl(0xffff)) {
		put_words(&k->addr[0], k->addr[3], 0);
		put_words(&k->addr[2], 0, 0);
	}
}

/* The client (peer) of this connection: from the migrating socket, or from
 * the packet (IP header, and the L4 header md->data points at). */
static __always_inline int peer_of(struct sk_reuseport_md *md, struct ps_conn_key *k)
{
	struct bpf_sock *ms = md->migrating_sk;
	__u16 *ports = md->data;

	if (ms) {
		/* two words a store (put_words: 6.1) */
		if (ms->family == AF_INET) {
			put_words(&k->addr[0], ms->dst_ip4, 0);
		} else {
			put_words(&k->addr[0], ms->dst_ip6[0], ms->dst_ip6[1]);
			put_words(&k->addr[2], ms->dst_ip6[2], ms->dst_ip6[3]);
			unmap_v4(k);
		}
		k->port = bpf_ntohs(ms->dst_port);
		return 0;
	}
	if ((void *)(ports + 1) > md->data_end)
		return -1;
	k->port = bpf_ntohs(ports[0]);
	if (md->eth_protocol == bpf_htons(ETH_P_IP))
		return bpf_skb_load_bytes_relative(md, 12, k->addr, 4, BPF_HDR_START_NET);
	if (md->eth_protocol == bpf_htons(ETH_P_IPV6))
		return bpf_skb_load_bytes_relative(md, 8, k->addr, 16, BPF_HDR_START_NET);
	return -1;
}

/*
 * The walks over live members run as bpf_loop() callbacks (5.17+), verified
 * once: as bounded loops, each variable index into the config makes the
 * verifier explore a speculative path too (its Spectre hardening without
 * CAP_PERFMON), and 64 members exceed its budget. For older kernels the
 * same steps run in a loop, in a second program (steer_loops) the loader
 * picks instead; with CAP_BPF + CAP_NET_ADMIN too (each round is a global
 * function: walk_round).
 *
 * The walk's state: for bpf_loop a stack object of 8-byte fields (6.1, without
 * CAP_PERFMON, refuses 4-byte stores into a stack slot that holds a spilled
 * value); for the loop, a per-CPU map value, which its global rounds
 * (walk_round) look up themselves. The program runs in softirq, one at a
 * time per CPU.
 */
struct walk {
	__u64 cur;		/* the config in use (its index in cfg) */
	__u64 h;		/* affinity: the client's hash */
	__u64 start;		/* least-conn: where the round starts */
	__u64 best;		/* position in live[] */
	__s64 best_score;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walks SEC(".maps");

/* Rendezvous hashing: every client address ranks the live slots by
 * mix(client, slot id) and takes the first. A slot that leaves moves only the
 * clients it had; the others keep their member. */
static __noinline long affinity_step(__u64 i, void *arg)
{
	struct walk *w = arg;
	const struct ps_steer_cfg *c;
	__u32 slot, score;
	__u64 kb;

	c = bpf_map_lookup_elem(&cfg, key32(&kb, w->cur));
	if (!c || i >= c->nlive)
		return 1;
	slot = c->live[i & (PS_MAX_MEMBERS - 1)] & (PS_MAX_MEMBERS - 1);
	score = mix32(w->h ^ c->slot_id[slot]);
	if (i == 0 || score > w->best_score) {
		w->best = i;
		w->best_score = score;
	}
	return 0;
}

/* The live slot with the fewest established connections; ties go round. */
static __noinline long least_step(__u64 i, void *arg)
{
	struct walk *w = arg;
	const struct ps_steer_cfg *c;
	__u32 pos, slot;
	__s64 *n;
	__u64 kb;

	c = bpf_map_lookup_elem(&cfg, key32(&kb, w->cur));
	if (!c || i >= c->nlive)
		return 1;
	pos = w->start + i;
	if (pos >= c->nlive)
		pos -= c->nlive;
	slot = c->live[pos & (PS_MAX_MEMBERS - 1)] & (PS_MAX_MEMBERS - 1);
	n = bpf_map_lookup_elem(&active, key32(&kb, slot));
	if (n && (i == 0 || *n < w->best_score)) {
		w->best = pos;
		w->best_score = *n;
	}
	return 0;
}

enum walk_kind { WALK_AFFINITY, WALK_LEAST };

/* steer_loops' round i of a walk: a global function (5.6+), so the verifier
 * checks it once, for any i, and the loop around it is a call and a test.
 * Inlined, each of the 64 rounds would be walked with its own constant i:
 * without CAP_PERFMON 6.18 refuses the config index bounded differently in
 * each ("different ... scalars") and 6.1 runs out of room for the
 * speculative paths of every round ("8193 jumps is too complex"). */
__noinline int walk_round(__u64 i, __u64 kind)
{
	struct walk *mw;
	__u64 kb;

	mw = bpf_map_lookup_elem(&walks, key32(&kb, 0));
	if (!mw)
		return 1;
	return kind == WALK_AFFINITY ? affinity_step(i, mw) : least_step(i, mw);
}

/* The kind's step(i, walk) for i in 0..PS_MAX_MEMBERS until it returns 1; *w
 * holds the walk's start and gets its result. The step gets the stack object (bpf_loop's
 * ctx) or the map value (the loop): a pointer it never compares with NULL,
 * which the verifier refuses without CAP_PERFMON. */
static __always_inline int walk_live(struct walk *w, enum walk_kind kind, bool loops)
{
	struct walk *mw;
	__u64 kb;
	__u32 i;

	if (!loops) {
		bpf_loop(PS_MAX_MEMBERS, kind == WALK_AFFINITY ? affinity_step : least_step, w, 0);
		return 0;
	}
	mw = bpf_map_lookup_elem(&walks, key32(&kb, 0));
	if (!mw)
		return -1;
	*mw = *w;
	/* unrolled: no counter for the verifier to follow past the end on a
	 * speculative path */
#pragma unroll
	for (i = 0; i < PS_MAX_MEMBERS; i++)
		if (walk_round(i, kind))
			break;
	w->best = mw->best;
	return 0;
}

static __always_inline __u32 pick_affinity(__u32 cur, const struct ps_conn_key *k, bool loops)
{
	struct walk w = {
		.cur = cur,
		.h = mix32(((__u64)k->addr[0] << 32 | k->addr[1]) ^
			   ((__u64)k->addr[2] << 32 | k->addr[3])),
	};

	walk_live(&w, WALK_AFFINITY, loops);
	return w.best;
}

static __always_inline __u32 pick_least(__u32 cur, __u32 nlive, bool loops)
{
	struct walk w = { .cur = cur, .start = next_rr() % nlive };

	walk_live(&w, WALK_LEAST, loops);
	return w.best;
}

/* Position in live[] (or, for wheel and cpu, a slot) chosen by the policy. */
static __always_inline __u32 pick(struct sk_reuseport_md *md, __u32 cur, const struct ps_steer_cfg *c,
				  const struct ps_conn_key *k, int have_peer, int *is_slot, bool loops)
{
	__u32 cpu;

	*is_slot = 0;
	switch (c->policy) {
	case PS_POL_RR:
		return next_rr() % c->nlive;
	case PS_POL_WEIGHTED:
		if (!c->wheel_len)
			break;
		*is_slot = 1;
		return c->wheel[(next_rr() % c->wheel_len) & (PS_WHEEL_MAX - 1)];
	case PS_POL_LEAST_CONN:
		return pick_least(cur, c->nlive, loops);
	case PS_POL_AFFINITY:
		if (!have_peer) {
			count(PS_S_NO_ADDR);
			break;
		}
		return pick_affinity(cur, k, loops);
	case PS_POL_CPU:
		cpu = bpf_get_smp_processor_id();
		if (cpu >= c->ncpus)
			break;
		*is_slot = 1;
		return c->cpu_slot[cpu & (PS_MAX_CPUS - 1)];
	}
	/* PS_POL_HASH and fallbacks: the kernel's flow hash over live members */
	return ((__u64)md->hash * c->nlive) >> 32;
}

/* Least-conn bookkeeping once a slot took a connection. */
static __always_inline void track(struct sk_reuseport_md *md, const struct ps_conn_key *k, __u32 slot)
{
	__u64 kb;	/* map keys: key32() */
	struct ps_conn_val nv = { .slot = slot }, *v;
	__s64 *n;

	if (md->ip_protocol != IPPROTO_TCP)
		return;
	v = bpf_map_lookup_elem(&conns, k);
	if (!v) {
		if (!md->migrating_sk)
			bpf_map_update_elem(&conns, k, &nv, BPF_ANY);
		return;
	}
	if (v->established && v->slot != slot) {	/* a migrating child */
		n = bpf_map_lookup_elem(&active, &v->slot);
		if (n)
			__sync_fetch_and_add(n, -1);
		n = bpf_map_lookup_elem(&active, key32(&kb, slot));
		if (n)
			__sync_fetch_and_add(n, 1);
	}
	v->slot = slot;
}

/*
 * The program also runs for TCP segments that match no connection (a late
 * ACK or FIN for one the server has forgotten): the listener lookup is their
 * last stop, and a listener answers them with a RST. Only a SYN (without ACK)
 * starts a connection; the rest are left to the kernel and counted apart.
 */
static __always_inline int new_connection(struct sk_reuseport_md *md)
{
	__u8 *th = md->data;

	if (md->ip_protocol != IPPROTO_TCP || md->migrating_sk)
		return 1;
	if ((void *)(th + 14) > md->data_end)
		return 1;
	return (th[13] & (PS_TCP_SYN | PS_TCP_ACK)) == PS_TCP_SYN;
}

/*
 * With SYN cookies the listener keeps no request: the handshake's ACK comes
 * back to the listener lookup and runs the program again. The SYN's choice
 * was recorded (conns, by peer): the ACK goes to that member, where the
 * cookie becomes the connection. A segment without a record is a stray.
 */
static __always_inline int cookie_ack(struct sk_reuseport_md *md)
{
	__u64 kb;	/* map keys: key32() */
	struct ps_conn_key k = {};
	struct ps_conn_val *v;
	__u8 *th = md->data;
	__u32 slot;

	if (md->ip_protocol != IPPROTO_TCP || (void *)(th + 14) > md->data_end)
		return 0;
	if ((th[13] & (PS_TCP_SYN | PS_TCP_RST | PS_TCP_FIN | PS_TCP_ACK)) != PS_TCP_ACK)
		return 0;
	if (peer_of(md, &k))
		return 0;
	v = bpf_map_lookup_elem(&conns, &k);
	if (!v || v->established)
		return 0;
	slot = v->slot & (PS_MAX_MEMBERS - 1);
	if (bpf_sk_select_reuseport(md, &members, key32(&kb, slot), 0))
		return 0;
	count(PS_S_COOKIE_ACK);
	return 1;
}

static __always_inline struct ps_steer_cfg *cfg_in_use(__u32 *cur)
{
	__u64 kb;
	struct ps_steer_meta *m = bpf_map_lookup_elem(&meta, key32(&kb, 0));

	*cur = m ? m->cur & 1 : 0;
	return bpf_map_lookup_elem(&cfg, key32(&kb, *cur));
}

/* The policy's choice, then the live members after it, until one selects.
 * Never the closing listener. 0, or the last error. */
static __always_inline long place(struct sk_reuseport_md *md, __u32 cur, const struct ps_steer_cfg *c,
				  const struct ps_conn_key *k, int have_peer, __u64 closing, bool loops,
				  __u32 *out)
{
	__u64 kb;	/* map keys: key32() */
	__u32 first, start, slot = 0, t;
	long err = -ENOENT;
	int is_slot;

	first = pick(md, cur, c, k, have_peer, &is_slot, loops);
	start = is_slot ? ((__u64)md->hash * c->nlive) >> 32 : first;
	for (t = 0; t < SELECT_TRIES; t++) {
		if (is_slot && t == 0)
			slot = first & (PS_MAX_MEMBERS - 1);
		else
			slot = c->live[((start + t - is_slot) % c->nlive) & (PS_MAX_MEMBERS - 1)] &
			       (PS_MAX_MEMBERS - 1);
		if (closing && c->slot_id[slot] == closing)
			continue;	/* never back onto the closing listener */
		err = bpf_sk_select_reuseport(md, &members, key32(&kb, slot), 0);
		if (err != -ENOENT)
			break;		/* selected, or an error a retry won't fix */
	}
	*out = slot;
	return err;
}

static __always_inline int steer_tcp(struct sk_reuseport_md *md, bool loops)
{
	__u64 kb;	/* map keys: key32() */
	struct ps_conn_key k = {};
	struct ps_slot_stats *st;
	struct ps_steer_cfg *c;
	__u64 migrated, closing = 0;
	__u32 cur, slot = 0;
	int have_peer;
	long err;

	if (!new_connection(md)) {
		if (!cookie_ack(md))
			count(PS_S_NOT_SYN);
		return SK_PASS;
	}
	if (md->migrating_sk) {
		count(PS_S_MIGRATIONS);
		if (md->sk)	/* the listener going away */
			closing = bpf_get_socket_cookie(md->sk);
	}
	c = cfg_in_use(&cur);
	if (!c || !c->nlive || c->nlive > PS_MAX_MEMBERS) {
		count(PS_S_NO_MEMBER);
		return SK_PASS;
	}
	have_peer = peer_of(md, &k) == 0;
	err = place(md, cur, c, &k, have_peer, closing, loops, &slot);
	if (err) {
		count(err == -ENOENT ? PS_S_EMPTY_SLOT : PS_S_SELECT_ERR);
		return SK_PASS;
	}
	st = bpf_map_lookup_elem(&slot_stats, key32(&kb, slot));
	if (st) {
		/* adds of 0 or 1: a branch per field becomes a variable offset,
		 * refused without CAP_PERFMON */
		migrated = !!md->migrating_sk;
		st->migrated_in += migrated;
		st->selected += !migrated;
	}
	if (have_peer)
		track(md, &k, slot);
	return SK_PASS;
}

#include "steer_udp.bpf.h"

static __always_inline int steer_one(struct sk_reuseport_md *md, bool loops)
{
	count(PS_S_CALLS);
	if (md->ip_protocol == IPPROTO_UDP)
		return steer_udp(md, loops);
	return steer_tcp(md, loops);
}

/*
 * Least-conn counts what is established, not what was selected: a
 * connection placed by `steer` is counted in its slot when it reaches
 * ESTABLISHED and uncounted when it reaches CLOSE, whoever closes it. A SYN
 * that never completes is never counted (its entry ages out of the LRU).
 *
 * The port is read from inet_sport: on the way to CLOSE the tracepoint
 * fires after inet_put_port() has zeroed skc_num.
 */
SEC("sk_reuseport/migrate")
int steer(struct sk_reuseport_md *md)
{
	return steer_one(md, false);
}

SEC("sk_reuseport/migrate")
int steer_loops(struct sk_reuseport_md *md)
{
	return steer_one(md, true);
}

/*
 * Least-conn's count of established connections per member. A tracing
 * program: loading it takes CAP_PERFMON, so the loader leaves it out (and
 * least-conn with it) when that is missing.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(track_state, const struct sock *sk, int oldstate, int newstate)
{
	struct ps_conn_key k = {};
	struct ps_conn_val *v;
	__s64 *n;

	if (newstate != TCP_ESTABLISHED && newstate != TCP_CLOSE)
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP ||
	    BPF_CORE_READ((struct inet_sock *)sk, inet_sport) != bpf_htons(group_port))
		return 0;
	if (sk->__sk_common.skc_family == AF_INET) {
		k.addr[0] = sk->__sk_common.skc_daddr;
	} else {
		k.addr[0] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[0];
		k.addr[1] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[1];
		k.addr[2] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[2];
		k.addr[3] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3];
		unmap_v4(&k);
	}
	k.port = bpf_ntohs(sk->__sk_common.skc_dport);
	v = bpf_map_lookup_elem(&conns, &k);
	if (!v)
		return 0;
	n = bpf_map_lookup_elem(&active, &v->slot);
	if (newstate == TCP_ESTABLISHED && !v->established) {
		v->established = 1;
		if (n)
			__sync_fetch_and_add(n, 1);
	} else if (newstate == TCP_CLOSE) {
		if (v->established && n)
			__sync_fetch_and_add(n, -1);
		bpf_map_delete_elem(&conns, &k);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
