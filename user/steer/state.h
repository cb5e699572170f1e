/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A steered group's state on bpffs: /sys/fs/bpf/portscope/steer/GROUP/,
 * GROUP naming the network namespace, protocol, address and port; one pin
 * per map (the table below), the tracker's link, and the program pinned
 * last. Locks, and reading and writing the slots and the configuration.
 */
#ifndef PS_STEER_STATE_H
#define PS_STEER_STATE_H

#include <limits.h>
#include "portscope.h"
#include "sockets/groups.h"

/* The maps of a steered group, by pin name (the skeleton's map names). */
#define STEER_MAPS(X) X(MEMBERS, members) X(CFG, cfg) X(META, meta) X(RR, rr) \
	X(STATS, slot_stats) X(ACTIVE, active) X(REASONS, steer_reasons) X(CONNS, conns) \
	X(SLOTS, slots) X(UDP_FLOWS, udp_flows) X(QUIC_IDS, quic_ids)
#define STEER_MAP_ENUM(id, name) M_##id,
enum { STEER_MAPS(STEER_MAP_ENUM) M_N };
extern const char *const steer_map_names[M_N];

struct pinned {
	char dir[PATH_MAX];
	int fd[M_N];
};

/* The pin directory of group g: net<inode>-<proto>-<addr>-<port>, inode
 * of g's network namespace, '.' as '_' (bpffs refuses '.'). */
void group_dir(const struct group *g, char *buf, size_t len);
/* "net<inode>-" of this network namespace. */
void netns_prefix(char *buf, size_t len);
/* The namespace a pin directory's name names (0: not one of ours). */
__u64 group_dir_netns(const char *name);

int open_maps(const char *dir, struct pinned *p);
/* The sockarray holds one of g's sockets: the pins are g's steering, not
 * an earlier group's (one whose sockets all closed, or of a namespace
 * gone whose inode a new namespace got). */
int pinned_holds(const struct pinned *p, const struct group *g);
/* 0 and every map open; -ENOENT when the group is not steered; -ESTALE when
 * the directory is incomplete (a loader died before pinning the program);
 * -EPROTO when its maps are another version's (their layout differs). */
int open_pinned(const char *dir, struct pinned *p);
void close_pinned(struct pinned *p);

/* One writer at a time per group: an fd holding flock(how), or -1. */
int lock_group_how(const char *dir, int how);
int lock_group(const char *dir);
void unlock_group(int fd);

int read_slots(const struct pinned *p, struct ps_slot_info *si);
int write_slot(const struct pinned *p, __u32 i, const struct ps_slot_info *si);
/* Build the configuration not in use from the slots and m, then flip to
 * it (QUIC ids claimed are written to quic_ids before, the others removed
 * after). */
struct steer_mode;
int publish(const struct pinned *p, const struct steer_mode *m);
int current_policy(const struct pinned *p, __u32 *policy);
/* The configuration in use (*c), or its mode. */
int current_cfg(const struct pinned *p, struct ps_steer_cfg *c);
int current_mode(const struct pinned *p, struct steer_mode *m);
/* max_entries of the UDP flow table */
int flow_capacity(const struct pinned *p, __u32 *cap);
/* The weights, drains and QUIC ids of r onto the group's slots; -EINVAL
 * (after one line, nothing written) when two slots would claim one QUIC id
 * under m. */
struct steer_req;
int write_args(const struct pinned *p, const struct steer_req *r, const struct steer_mode *m);

#endif
