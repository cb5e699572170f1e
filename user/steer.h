/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Steering SO_REUSEPORT groups (bpf/steer.bpf.c) from userspace. */
#ifndef PS_STEER_H
#define PS_STEER_H

/* "round-robin" -> PS_POL_RR …; -1 when unknown. */
int parse_policy(const char *s);
int cmd_steer(int argc, char **argv);

#endif
