/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A steered group's members: its sockets in the REUSEPORT_SOCKARRAY, one
 * per slot, borrowed from the processes serving them (pidfd_getfd). */
#ifndef PS_STEER_MEMBERS_H
#define PS_STEER_MEMBERS_H

#include "sockets/groups.h"
#include "steer/state.h"

/* Bring the slots in line with the group: new members in, closed ones out
 * (the kernel already emptied their sockarray slots). *changed tells. */
int sync_members(const struct pinned *p, const struct group *g, int *changed);

/* Borrow each member socket in turn and call fn on it (the borrowed fd is
 * closed after), until fn returns 0. 0, or the last error (-ESRCH: no
 * member could be borrowed). One walk for attach and detach. */
int with_member_fd(const struct group *g, int (*fn)(int fd, void *ctx), void *ctx);

#endif
