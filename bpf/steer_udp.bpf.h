/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Steering UDP (bpf/steer.bpf.c includes this after the TCP path): a
 * datagram goes to its flow's member while that member is the socket placed
 * on and the flow is not idle; QUIC short headers by the server id in their
 * destination connection ID; the rest placed by the policy (place()).
 * Uses steer.bpf.c's maps (cfg, udp_flows, quic_ids, …) and helpers.
 */
#ifndef PS_STEER_UDP_BPF_H
#define PS_STEER_UDP_BPF_H


static __always_inline __u64 now_ns(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ktime_get_coarse_ns))
		return bpf_ktime_get_coarse_ns();
	return bpf_ktime_get_ns();
}

/*
 * QUIC (RFC 8999's invariants, any version): a short header (first bit 0)
 * has the destination connection ID at offset 1, its length known to the
 * servers only; the servers put their id in bytes [off, off+len) of it. That
 * id, read as a big-endian number, names a slot (quic_ids), valid when the
 * configuration in use says the slot claims it. 1: selected by it.
 */
static __always_inline int by_cid(struct sk_reuseport_md *md, const struct ps_steer_cfg *c, __u32 *out)
{
	__u64 kb;	/* map keys: key32() */
	__u32 len, slot, *sp;
	__u64 raw = 0, id;
	__u8 first;

	if (bpf_skb_load_bytes(md, 8, &first, 1))
		return 0;		/* no payload: not QUIC */
	if (first & 0x80) {
		count(PS_S_QUIC_LONG);
		return 0;
	}
	len = ((c->quic_len - 1) & (PS_QUIC_ID_MAX - 1)) + 1;
	if (bpf_skb_load_bytes(md, 8 + 1 + c->quic_off, &raw, len))
		goto miss;
	id = bpf_be64_to_cpu(raw) >> ((PS_QUIC_ID_MAX - len) * 8);
	sp = bpf_map_lookup_elem(&quic_ids, &id);
	if (!sp)
		goto miss;
	slot = *sp & (PS_MAX_MEMBERS - 1);
	if (!((c->quic_claimed >> slot) & 1) || c->quic_id[slot] != id ||
	    bpf_sk_select_reuseport(md, &members, key32(&kb, slot), 0))
		goto miss;
	count(PS_S_CID_HIT);
	*out = slot;
	return 1;
miss:
	count(PS_S_CID_MISS);
	return 0;
}

/* The flow's member, while it is the same socket and the flow is not idle
 * too long. 1: selected; 0: the flow is to be placed (afresh). */
static __always_inline int by_flow(struct sk_reuseport_md *md, const struct ps_steer_cfg *c,
				   const struct ps_conn_key *k, __u64 now, __u32 *out)
{
	__u64 kb;	/* map keys: key32() */
	struct ps_udp_flow *v = bpf_map_lookup_elem(&udp_flows, k);
	__u32 slot;
	long err;

	if (!v)
		return 0;
	if ((__s64)(now - v->last_ns) > (__s64)c->udp_idle_ns) {
		count(PS_S_FLOW_IDLE);
		return 0;
	}
	slot = v->slot & (PS_MAX_MEMBERS - 1);
	if (v->cookie != c->slot_id[slot]) {
		count(PS_S_FLOW_MOVED);
		return 0;
	}
	err = bpf_sk_select_reuseport(md, &members, key32(&kb, slot), 0);
	if (err) {
		count(err == -ENOENT ? PS_S_FLOW_GONE : PS_S_SELECT_ERR);
		return 0;
	}
	v->last_ns = now;
	count(PS_S_FLOW_HIT);
	*out = slot;
	return 1;
}

/* Record the flow on slot (placed: by the policy, now). */
static __always_inline void remember(const struct ps_steer_cfg *c, const struct ps_conn_key *k, __u32 slot,
				     __u64 now, int placed)
{
	struct ps_udp_flow nv = {
		.cookie = c->slot_id[slot & (PS_MAX_MEMBERS - 1)],
		.placed_ns = now, .last_ns = now, .slot = slot,
	}, *v = bpf_map_lookup_elem(&udp_flows, k);
	long err;

	if (v) {
		if (placed || v->slot != slot || v->cookie != nv.cookie)
			v->placed_ns = now;
		v->cookie = nv.cookie;
		v->slot = slot;
		v->last_ns = now;
		return;
	}
	/* NOEXIST: inserts are counted exactly (evictions = inserts - entries) */
	err = bpf_map_update_elem(&udp_flows, k, &nv, BPF_NOEXIST);
	if (!err)
		count(PS_S_FLOW_INSERT);
	else if (err != -EEXIST)
		count(PS_S_FLOW_INSERT_FAIL);
}

/*
 * A datagram: by its QUIC connection ID (when set), else by its flow (when
 * flows are on: the member it was placed on), else placed by the policy —
 * and then remembered as the flow's member.
 */
static __always_inline int steer_udp(struct sk_reuseport_md *md, bool loops)
{
	__u64 kb;	/* map keys: key32() */
	struct ps_conn_key k = {};
	struct ps_slot_stats *st;
	struct ps_steer_cfg *c;
	__u32 cur, slot = 0;
	__u64 now, placed = 0;
	int have_peer, flows;
	long err;

	c = cfg_in_use(&cur);
	if (!c) {
		count(PS_S_NO_MEMBER);
		return SK_PASS;
	}
	have_peer = peer_of(md, &k) == 0;
	flows = have_peer && c->udp_flows;
	now = now_ns();
	if (c->quic_len && by_cid(md, c, &slot))
		goto selected;
	if (flows && by_flow(md, c, &k, now, &slot))
		goto selected;
	if (!c->nlive || c->nlive > PS_MAX_MEMBERS) {
		count(PS_S_NO_MEMBER);
		return SK_PASS;
	}
	err = place(md, cur, c, &k, have_peer, 0, loops, &slot);
	if (err) {
		count(err == -ENOENT ? PS_S_EMPTY_SLOT : PS_S_SELECT_ERR);
		return SK_PASS;
	}
	placed = flows;
	if (flows)
		count(PS_S_FLOW_NEW);
selected:
	if (flows)
		remember(c, &k, slot, now, placed);
	st = bpf_map_lookup_elem(&slot_stats, key32(&kb, slot));
	if (st) {
		st->selected += 1;
		st->flows += placed;
	}
	return SK_PASS;
}

#endif /* PS_STEER_UDP_BPF_H */
