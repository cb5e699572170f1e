/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ABI shared by the BPF programs (bpf/) and userspace (user/, tests/):
 * map keys and values, the reason counters, limits.
 *
 * Only fixed-width types, explicit padding; keys are zeroed before filling
 * so that hashing never reads garbage padding.
 */
#ifndef PORTSCOPE_H
#define PORTSCOPE_H

#ifdef __bpf__
/* vmlinux.h provides __u8 … __u64 */
#else
#include <linux/types.h>
#endif

#define PS_FLOWS_DEFAULT   65536	/* default flow table size */
#define PS_PORTS_MAX       (2 * 65536)	/* every TCP and UDP port */
#define PS_MAX_VLANS       2		/* 802.1Q, 802.1ad (QinQ) */
#define PS_MAX_EXTHDRS     8		/* IPv6 extension headers walked */

/* Per destination port and protocol: TCP/80 and UDP/80 are different keys. */
struct ps_port_key {
	__u16 port;	/* host byte order */
	__u8 proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

/* Per-CPU value; userspace sums over possible CPUs. */
struct ps_port_stats {
	__u64 packets;
	__u64 bytes;	/* whole frame length, Ethernet header included */
	__u64 syn;	/* new connections: SYN without ACK */
	__u64 synack;
	__u64 fin;
	__u64 rst;
};

/* A connection is its 5-tuple. IPv4 addresses live in addr[0]; rest zero. */
struct ps_flow_key {
	__u32 saddr[4];	/* network byte order */
	__u32 daddr[4];
	__u16 sport;	/* host byte order */
	__u16 dport;
	__u8 proto;
	__u8 family;	/* 4 or 6 */
	__u8 pad[2];
};

/* Shared (not per-CPU) LRU value, updated with atomic adds. */
struct ps_flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns;	/* bpf_ktime_get_ns() at insert */
	__u64 last_ns;
	__u32 tcp_flags; /* OR of every TCP flags byte seen */
	__u32 pad;
};

/* Where the observer is attached (userspace's record, in the map "info"). */
#define PS_MAX_IFACES 16
struct ps_attach_info {
	__u32 ifindex;		/* 0: entry free */
	__u32 mode;		/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	__u64 since;		/* CLOCK_REALTIME seconds */
	char ifname[16];
};

/* TCP flags byte (offset 13 of the header). */
#define PS_TCP_FIN 0x01
#define PS_TCP_SYN 0x02
#define PS_TCP_RST 0x04
#define PS_TCP_PSH 0x08
#define PS_TCP_ACK 0x10
#define PS_TCP_URG 0x20
#define PS_TCP_ECE 0x40
#define PS_TCP_CWR 0x80

/*
 * Reason counters. Every packet lands in exactly one *class* (the first
 * block: the classes sum to the packets seen). *Events* (second block) are
 * counted in addition to a packet's class.
 */
#define PS_REASONS(X)                                                        \
	/* classes */                                                        \
	X(PARSED_OK, "parsed_ok")	/* TCP/UDP with ports, counted */    \
	X(PORT_FILTERED, "port_filtered") /* parsed, port not in filter */   \
	X(RUNT, "runt")			/* < 14 bytes (loader only) */       \
	X(TRUNC_ETH, "truncated_eth")                                        \
	X(TRUNC_VLAN, "truncated_vlan")                                      \
	X(TOO_MANY_VLANS, "too_many_vlans")                                  \
	X(NON_IP, "non_ip")		/* other ethertypes */               \
	X(ARP, "arp")                                                        \
	X(TRUNC_IPV4, "truncated_ipv4")                                      \
	X(BAD_IP_VERSION, "bad_ip_version")                                  \
	X(BAD_IHL, "bad_ihl")		/* IHL < 5 */                        \
	X(BAD_IP_LEN, "bad_ip_len")	/* tot_len/payload_len vs frame */   \
	X(IPV4_FRAG_LATER, "ipv4_later_fragment")                            \
	X(TRUNC_IPV6, "truncated_ipv6")                                      \
	X(TRUNC_EXTHDR, "truncated_ipv6_exthdr")                             \
	X(TOO_MANY_EXTHDRS, "too_many_ipv6_exthdrs")                         \
	X(IPV6_FRAG_LATER, "ipv6_later_fragment")                            \
	X(IPV6_NO_NEXT, "ipv6_no_next_header")                               \
	X(TRUNC_TCP, "truncated_tcp")                                        \
	X(BAD_TCP_DOFF, "bad_tcp_doff")	/* doff < 5 */                       \
	X(TRUNC_UDP, "truncated_udp")                                        \
	X(ICMP, "icmp")                                                      \
	X(ICMPV6, "icmpv6")                                                  \
	X(OTHER_L4, "other_l4")		/* any other IP protocol */          \
	/* events */                                                         \
	X(IPV4_FRAG_FIRST, "ipv4_first_fragment")                            \
	X(IPV6_FRAG_FIRST, "ipv6_first_fragment")                            \
	X(FLOW_NEW, "flow_inserts")	/* LRU evictions = inserts - size */ \
	X(FLOW_INSERT_FAIL, "flow_insert_failed")

#define PS_ENUM_ENTRY(id, name) PS_R_##id,
enum ps_reason {
	PS_REASONS(PS_ENUM_ENTRY)
	PS_R_MAX
};
#undef PS_ENUM_ENTRY

#define PS_R_CLASS_LAST PS_R_OTHER_L4	/* classes are [0, CLASS_LAST] */

/* ---- steering (bpf/steer.bpf.c) ------------------------------------------ */

#define PS_MAX_MEMBERS 64	/* sockets in one steered group */
#define PS_WHEEL_MAX   1024	/* slots of the weighted wheel */
#define PS_MAX_CPUS    256	/* cpu policy table */
#define PS_UDP_FLOWS_DEFAULT 65536	/* UDP flow table entries */
#define PS_UDP_IDLE_DEFAULT  120	/* s: conntrack's UDP stream timeout */
#define PS_QUIC_ID_MAX       8		/* bytes of a QUIC server id */

enum ps_policy {
	PS_POL_HASH,		/* the kernel's spread (flow hash), counted */
	PS_POL_RR,		/* strict rotation */
	PS_POL_WEIGHTED,	/* the wheel: slots repeated in proportion */
	PS_POL_LEAST_CONN,	/* fewest established connections */
	PS_POL_AFFINITY,	/* rendezvous hash of the client address */
	PS_POL_CPU,		/* the member of the receiving CPU */
	PS_POL_MAX
};

/*
 * A whole steering configuration. Userspace writes the one not in use and
 * then flips ps_steer_meta.cur, so the program never reads a half-written
 * configuration.
 */
struct ps_steer_cfg {
	__u32 policy;
	__u32 nlive;			/* live[0..nlive): slots taking new connections */
	__u32 wheel_len;		/* weighted: wheel[0..wheel_len) */
	__u32 ncpus;			/* cpu: cpu_slot[0..ncpus) */
	__u32 live[PS_MAX_MEMBERS];	/* slot indices: not drained, not empty */
	__u64 slot_id[PS_MAX_MEMBERS];	/* socket cookie of each slot (affinity) */
	__u16 wheel[PS_WHEEL_MAX];
	__u16 cpu_slot[PS_MAX_CPUS];
	/* UDP: the group's modes, kept with the rest (userspace carries them
	 * from one configuration to the next) */
	__u32 udp_flows;		/* 1: a flow stays on the member it was placed on */
	__u8 proto;			/* the group's: IPPROTO_TCP or IPPROTO_UDP */
	__u8 quic_off;			/* QUIC short headers: the server id is the */
	__u8 quic_len;			/* DCID's bytes [off, off+len); len 0: off */
	__u8 pad;
	__u64 udp_idle_ns;		/* a flow idle this long is placed afresh */
	__u64 quic_claimed;		/* bit per slot: quic_id[slot] is its id */
	__u64 quic_id[PS_MAX_MEMBERS];	/* the server id each slot claims */
};

struct ps_steer_meta {
	__u32 cur;			/* which of the two configurations is in use */
	__u32 pad;
};

/* Per member (slot) and CPU. */
struct ps_slot_stats {
	__u64 selected;		/* new connections / datagrams steered to it */
	__u64 migrated_in;	/* connections moved to it off a closing listener */
	__u64 flows;		/* UDP: flows placed on it (first datagrams, and
				 * flows placed afresh) */
};

/* Least-conn bookkeeping: a connection the program placed, by its peer. */
struct ps_conn_key {
	__u32 addr[4];		/* peer address, network order (IPv4 in [0]) */
	__u16 port;		/* peer port, host order */
	__u16 pad;
};

struct ps_conn_val {
	__u32 slot;
	__u32 established;	/* counted in the slot's active connections */
};

/* Userspace's record of each slot (the program does not read it). */
struct ps_slot_info {
	__u64 cookie;		/* SO_COOKIE of the member socket; 0: slot free */
	__u32 pid;		/* the process serving it when it was added */
	__u32 weight;		/* weighted policy; default 1 */
	__u32 drained;		/* no new connections */
	char comm[16];
	__s32 cpu;		/* SO_INCOMING_CPU of the socket, -1: none */
	__u32 quic_own;		/* 1: quic_id given (--quic-id); 0: the cookie */
	__u32 pad;
	__u64 quic_id;
};

/* A UDP flow (key: the peer, struct ps_conn_key) and where it was placed. */
struct ps_udp_flow {
	__u64 cookie;		/* the member's socket cookie when placed: a slot
				 * reused by another socket does not inherit it */
	__u64 placed_ns;	/* bpf_ktime_get(_coarse)_ns at placement */
	__u64 last_ns;		/* last datagram */
	__u32 slot;
	__u32 pad;
};

#define PS_STEER_REASONS(X)                                                  \
	X(CALLS, "calls")		/* program runs, migrations included */ \
	X(MIGRATIONS, "migrations")	/* runs with a migrating socket */    \
	X(NOT_SYN, "not_new_connection") /* a stray TCP segment: left to the  \
					    kernel (it answers with a RST) */ \
	X(COOKIE_ACK, "syncookie_ack")	/* a handshake's ACK without request \
					   (SYN cookies): to the SYN's member */ \
	X(NO_MEMBER, "fallback_no_member") /* nothing live to choose */      \
	X(EMPTY_SLOT, "fallback_empty_slot") /* socket closed meanwhile */  \
	X(SELECT_ERR, "fallback_select_error")                               \
	X(NO_ADDR, "fallback_no_client_addr") /* affinity without an address */ \
	/* UDP flows and QUIC connection IDs (not fallbacks) */               \
	X(FLOW_HIT, "udp_flow_hit")	/* datagrams sent to their flow's member */ \
	X(FLOW_NEW, "udp_flow_placed")	/* datagrams placed by the policy as a \
					   flow's first (new or placed afresh) */ \
	X(FLOW_IDLE, "udp_flow_expired") /* placed afresh: idle too long */  \
	X(FLOW_GONE, "udp_flow_member_closed") /* placed afresh: the member's \
						  socket closed */    \
	X(FLOW_MOVED, "udp_flow_member_replaced") /* placed afresh: its slot \
						     has another socket */ \
	X(FLOW_INSERT, "udp_flow_inserts") /* evictions = inserts - entries */ \
	X(FLOW_INSERT_FAIL, "udp_flow_insert_failed")                        \
	X(CID_HIT, "quic_cid_hit")	/* short headers sent by their DCID */ \
	X(CID_MISS, "quic_cid_miss")	/* short headers whose id no member \
					   claims: flow table, then policy */ \
	X(QUIC_LONG, "quic_long_header") /* flow table, then policy */

#define PS_ENUM_ENTRY(id, name) PS_S_##id,
enum ps_steer_reason {
	PS_STEER_REASONS(PS_ENUM_ENTRY)
	PS_S_MAX
};
#undef PS_ENUM_ENTRY

#define PS_S_FALLBACK_LAST PS_S_NO_ADDR	/* fallbacks: [NO_MEMBER, FALLBACK_LAST] */

#endif /* PORTSCOPE_H */
