/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attaching the steering program to a group, and taking it away. */
#ifndef PS_STEER_ATTACH_H
#define PS_STEER_ATTACH_H

#include "sockets/groups.h"
#include "steer/config.h"

/* Load, pin the maps, fill them, attach to the group, pin the program last:
 * until SO_ATTACH_REUSEPORT_EBPF the group is untouched, and a failure
 * before it removes the pins. One line on stderr on failure. */
int attach_group(const struct group *g, const char *dir, const struct steer_mode *m, const struct steer_req *r);
/* SO_DETACH_REUSEPORT_BPF through a member: the kernel's hash again. */
int detach_group(const struct group *g);
/* Undo an incomplete directory (its loader died before pinning the
 * program): detach what it attached, remove the pins. -EBUSY: a loader is
 * at work on it. g may be NULL (the group is gone). */
int reset_incomplete(const struct group *g, const char *dir);

#endif
