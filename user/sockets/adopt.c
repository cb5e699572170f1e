// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "sockets/adopt.h"

int adopt_fd(pid_t pid, int fd)
{
	int pidfd, dup, err;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	dup = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = dup < 0 ? -errno : dup;
	close(pidfd);
	return err;
}

int sock_reuseport(int fd)
{
	socklen_t len = sizeof(int);
	int v = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &len))
		return -errno;
	return !!v;
}

int sock_reuseaddr(int fd)
{
	socklen_t len = sizeof(int);
	int v = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len))
		return -errno;
	return !!v;
}

__u64 sock_cookie(int fd)
{
	socklen_t len = sizeof(__u64);
	__u64 c = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len))
		return 0;
	return c;
}
