/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Borrowing a running process's socket: pidfd_open + pidfd_getfd (5.6+). */
#ifndef PS_ADOPT_H
#define PS_ADOPT_H

#include <sys/types.h>
#include <linux/types.h>

/* A duplicate of fd `fd` of process `pid` (needs CAP_SYS_PTRACE over it);
 * -errno on failure. The caller closes it. */
int adopt_fd(pid_t pid, int fd);
/* SO_REUSEPORT of a socket: 1, 0, or -errno. */
int sock_reuseport(int fd);
/* SO_REUSEADDR of a socket: 1, 0, or -errno. */
int sock_reuseaddr(int fd);
/* SO_COOKIE of a socket, 0 on failure. */
__u64 sock_cookie(int fd);

#endif
