/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a 'steer' asks for, and the configuration the program reads, built
 * from the slots by pure functions (no maps, no sockets: tests/unit).
 */
#ifndef PS_STEER_CONFIG_H
#define PS_STEER_CONFIG_H

#include <sys/types.h>
#include "portscope.h"
#include "sockets/groups.h"

struct weight_arg {
	__u64 cookie;	/* 0: by pid */
	pid_t pid;
	__u32 w;
};

struct weight_list {
	struct weight_arg v[PS_MAX_MEMBERS];
	size_t n;
};

struct pid_list {
	pid_t v[PS_MAX_MEMBERS];
	size_t n;
};

/* --quic-id PID=HEX: the server id the sockets PID serves put in their
 * connection IDs. */
struct quic_id_arg {
	pid_t pid;
	__u64 id;
	__u32 nbytes;	/* as many bytes as the hex gave */
};

struct quic_id_list {
	struct quic_id_arg v[PS_MAX_MEMBERS];
	size_t n;
};

enum udp_flows_arg { UDP_FLOWS_UNCHANGED, UDP_FLOWS_ON, UDP_FLOWS_OFF };

/* --quic-cid OFF:LEN | off */
struct quic_cid_arg {
	int set;		/* 0: unchanged; 1: OFF:LEN; -1: off */
	__u32 off, len;
};

struct steer_req {
	__u16 port;
	__u8 proto;		/* IPPROTO_TCP (default) or IPPROTO_UDP */
	const char *addr;	/* the group's address, when the port has several */
	int policy;		/* -1: unchanged (hash for a new group) */
	struct weight_list weights;
	struct pid_list drain, undrain;
	/* UDP; zero values leave the group's setting as it is */
	int udp_flows;		/* enum udp_flows_arg (new group: on) */
	double udp_idle;	/* seconds (new group: PS_UDP_IDLE_DEFAULT) */
	__u32 udp_entries;	/* flow table size, set when first steered */
	struct quic_cid_arg quic_cid;
	struct quic_id_list quic_ids;
};

/* What a group keeps besides its slots: the policy and the UDP modes. They
 * live in the configuration the program reads, carried from one to the
 * next. */
struct steer_mode {
	__u32 policy;
	__u8 proto;
	__u32 udp_flows;
	__u64 udp_idle_ns;
	__u32 quic_off, quic_len;	/* quic_len 0: no connection-ID routing */
};

/* "round-robin" -> PS_POL_RR …; -1 when unknown. */
int parse_policy(const char *s);
const char *policy_name(__u32 policy);
const char *steer_reason_name(int r);
/* Option parsers: append "PID=W" / "cookie:C=W" (W 0..1000) to a
 * weight_list, a pid to a pid_list. 0, or -EINVAL after one line. */
int parse_weight(const char *s, void *weight_list);
int parse_pid(const char *s, void *pid_list);
int parse_policy_arg(const char *s, void *policy);
/* "on" / "off" into an enum udp_flows_arg; "OFF:LEN" / "off" into a
 * quic_cid_arg; "PID=HEX" appended to a quic_id_list. */
int parse_udp_flows(const char *s, void *udp_flows);
int parse_quic_cid(const char *s, void *quic_cid);
int parse_quic_id(const char *s, void *quic_id_list);

/* Smooth weighted round-robin (nginx's) over c->live into c->wheel. */
void build_wheel(struct ps_steer_cfg *c, const struct ps_slot_info *si);
/* The whole configuration for policy from the slots. */
void build_cfg(struct ps_steer_cfg *c, __u32 policy, const struct ps_slot_info *si, __u32 ncpus);
/* The mode of a group from its configuration in use, and r's changes to
 * it (a group steered for the first time starts from the defaults). */
void mode_of_cfg(struct steer_mode *m, const struct ps_steer_cfg *c);
void mode_default(struct steer_mode *m, __u8 proto);
void mode_apply(struct steer_mode *m, const struct steer_req *r);
/* m's settings into c (after build_cfg), and the QUIC id each slot claims:
 * its --quic-id, else its socket cookie when it fits in quic_len bytes. */
/* The QUIC id a slot claims under m into *id; 0 when it claims none. */
int quic_claim(const struct steer_mode *m, const struct ps_slot_info *si, __u64 *id);
void cfg_set_mode(struct ps_steer_cfg *c, const struct steer_mode *m, const struct ps_slot_info *si);
/* Weights and drains of r onto the slots, by pid or socket cookie. */
void apply_args(struct ps_slot_info *si, const struct steer_req *r);
/* Every slot drained or weighted 0: the kernel's hash decides. */
int slots_idle(const struct ps_slot_info *si);

/* Checks of r against the group, before anything changes: 0, or -EINVAL
 * after one line (a pid that serves no member, weights summing to 0,
 * draining every member, least-conn on UDP). */
int steer_req_check(const struct steer_req *r, const struct group *g);
/* Two slots claiming one QUIC id under m: -EINVAL after one line. */
int quic_ids_check(const struct steer_mode *m, const struct ps_slot_info *si);

#endif
