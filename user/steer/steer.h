/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Steering SO_REUSEPORT groups with bpf/steer.bpf.c: the operations the
 * steer command and the demo use. Quiet: nothing on stdout; a failure says
 * one line on stderr and returns -EINVAL for bad input (the command exits
 * 2), another -errno when the system failed.
 */
#ifndef PS_STEER_H
#define PS_STEER_H

#include "steer/config.h"
#include "steer/view.h"

struct steer_result {
	__u8 proto;
	__u16 port;
	__u32 policy;
	size_t members;
};

/* Steer r's group: attach the first time, afterwards only maps change. */
int steer_apply(const struct steer_req *r, struct steer_result *out);
/* --watch's word on a drained member of a UDP group with flows: the flows
 * it still holds (0: nothing more will reach it; safe to stop). */
struct drain_note {
	__u32 pid;
	__u64 cookie;
	__u64 flows;
};
typedef void (*drain_note_fn)(void *ctx, const struct drain_note *n);

/* After steer_apply: keep the members in step with the group (restarted
 * workers join, closed ones leave) every interval, until ps_stop; note()
 * is told of drained members' flows (NULL: not). */
int steer_watch(const struct steer_req *r, double interval, drain_note_fn note, void *ctx);

enum steer_off_how { STEER_OFF_DETACHED, STEER_OFF_STALE };
/* Back to the kernel's hash; or, when nobody listens any more, remove the
 * pins left of the port (*how says which). */
int steer_off(const struct steer_req *r, struct steer_result *out, enum steer_off_how *how);

/* cleanup's part: the steering state of closed groups, and of loaders that
 * died half-way (their group back on the kernel's hash). say() is told each
 * thing done or left; returns how many were removed. */
int steer_cleanup(void (*say)(void *ctx, const char *what), void *ctx);

#endif
