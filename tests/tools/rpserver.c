// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rpserver: a multi-process SO_REUSEPORT server for tests, an unmodified
 * server as far as portscope is concerned.
 *
 *   rpserver -p PORT [-u] [-a ADDR] [-w N] [-d DIR] [-i] [-k] [-g MS] [-T QLEN]
 *
 * -w N workers (default 3); each opens its own listener (-i: the parent opens
 * all N and every worker inherits all of them, serving only its own, like
 * nginx) and serves it with epoll. TCP: accept, write "PID\n", close (-k: keep
 * the connection open until the client closes). UDP (-u): answer each
 * datagram with "PID\n". On SIGTERM a worker writes its count to DIR/PID.
 * -g MS: on SIGTERM a worker stops accepting and lingers MS ms (finishing
 * in-flight work, as real servers do) before it exits and its listener
 * closes; connections queued meanwhile are the ones a restart can lose.
 * The parent prints the worker pids, one a line, once all listen, and stays
 * until SIGTERM. SIGUSR1 to the parent starts one more worker (its pid is
 * printed) with a listener of its own. -T QLEN: TCP Fast Open on listeners.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int port, udp, workers = 3, inherit, keep, linger_ms, tfo;
static const char *addr = "::", *dir = ".";
static volatile sig_atomic_t stop, more;

static void on_term(int s) { (void)s; stop = 1; }
static void on_usr1(int s) { (void)s; more = 1; }

static int open_listener(void)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	int one = 1, fd, fam;
	socklen_t len;

	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		fam = a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		fam = a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "rpserver: bad address %s\n", addr);
		exit(2);
	}
	fd = socket(fam, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (void *)&ss, len) || (!udp && listen(fd, 4096)) ||
	    (tfo && setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &tfo, sizeof(tfo)))) {
		perror("rpserver: listener");
		exit(1);
	}
	return fd;
}

static void worker(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	unsigned long count = 0;
	char buf[64], path[256];
	int ep = epoll_create1(0), n, i, c, len;
	FILE *f;

	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	len = snprintf(buf, sizeof(buf), "%d\n", getpid());
	while (!stop) {
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd != lfd) {	/* a kept connection: closed by the client? */
				if (read(fd, path, sizeof(path)) <= 0) {
					epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
					close(fd);
				}
				continue;
			}
			for (;;) {
				if (udp) {
					struct sockaddr_storage peer;
					socklen_t pl = sizeof(peer);

					if (recvfrom(lfd, path, sizeof(path), 0, (void *)&peer, &pl) < 0)
						break;
					sendto(lfd, buf, len, 0, (void *)&peer, pl);
					count++;
					continue;
				}
				c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				if (c < 0)
					break;
				count++;
				if (write(c, buf, len) < 0) {}
				if (keep) {
					struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };

					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				} else {
					/* the Fast Open byte: closing with it unread
					 * would reset the connection */
					if (tfo && recv(c, path, sizeof(path), 0) < 0) {}
					close(c);
				}
			}
		}
	}
	if (linger_ms)
		usleep(linger_ms * 1000);
	snprintf(path, sizeof(path), "%s/%d", dir, getpid());
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%lu\n", count);
		fclose(f);
	}
	_exit(0);
}

static pid_t spawn(int *fds, int nfds, int mine)
{
	pid_t pid = fork();
	int i;

	if (pid == 0) {
		signal(SIGTERM, on_term);
		if (!inherit)
			fds[mine] = open_listener();
		for (i = 0; i < nfds && inherit; i++)
			if (i != mine)
				fcntl(fds[i], F_SETFD, 0);	/* held, not served */
		worker(fds[mine]);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int opt, fds[256] = {}, i, n;
	pid_t pids[256];

	while ((opt = getopt(argc, argv, "p:ua:w:d:ikg:T:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'u': udp = 1; break;
		case 'a': addr = optarg; break;
		case 'w': workers = atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'i': inherit = 1; break;
		case 'k': keep = 1; break;
		case 'g': linger_ms = atoi(optarg); break;
		case 'T': tfo = atoi(optarg); break;
		default: return 2;
		}
	}
	if (port <= 0 || workers < 1 || workers > 200)
		return 2;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGUSR1, on_usr1);
	for (i = 0; inherit && i < workers; i++)
		fds[i] = open_listener();
	for (i = 0; i < workers; i++)
		pids[i] = spawn(fds, workers, i);
	n = workers;
	/* workers listen before they are announced: give the non-inherit ones a moment */
	usleep(100000);
	for (i = 0; i < workers; i++)
		printf("%d\n", pids[i]);
	fflush(stdout);
	while (!stop) {
		if (more && n < 256) {
			int saved = inherit;

			more = 0;
			inherit = 0;
			pids[n] = spawn(fds, n, n);
			inherit = saved;
			usleep(100000);
			printf("%d\n", pids[n++]);
			fflush(stdout);
		}
		pause();
	}
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
