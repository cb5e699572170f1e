// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portfill: a TCP client that opens connections on command and holds them,
 * to fill a destination's source ports step by step.
 *
 *   portfill -a ADDR -p PORT [-b] [-s SRC]
 *
 * Prints "pid N", then reads commands on stdin, one a line, and answers
 * each with one line:
 *   open K [PORT]   open up to K more connections (to PORT, default -p),
 *                   one at a time, stopping at the first failure:
 *                   "opened X open N failed 0|1 errno NAME"
 *   close K         close the K oldest, after reading what the server sent
 *                   (the client closes first: they go to TIME_WAIT):
 *                   "closed X open N"
 *   ports           the local ports of the open connections, one line
 * -b binds each socket to port 0 (or SRC) before connect(), without
 * IP_BIND_ADDRESS_NO_PORT: the port comes from the whole range and is
 * closed to every other connect(). Exits at EOF.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 70000

static int fds[MAXC], nfd, first;
static int bind_first;
static const char *src;

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EADDRINUSE: return "EADDRINUSE";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return strerror(e);
	}
}

static int sa_of(const char *a, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

/* One connection; 0 or errno. */
static int open_one(const struct sockaddr_storage *to, socklen_t tlen)
{
	struct sockaddr_storage b;
	socklen_t blen;
	int fd, e;

	fd = socket(to->ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	if (bind_first) {
		if (sa_of(src ? src : to->ss_family == AF_INET ? "0.0.0.0" : "::", 0, &b, &blen) < 0 ||
		    bind(fd, (struct sockaddr *)&b, blen)) {
			e = errno;
			close(fd);
			return e;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, tlen)) {
		e = errno;
		close(fd);
		return e;
	}
	fds[nfd++] = fd;
	return 0;
}

static void cmd_open(const char *addr, int port, int k)
{
	struct sockaddr_storage to;
	socklen_t tlen;
	int i, e = 0, opened = 0;

	if (sa_of(addr, port, &to, &tlen) < 0) {
		printf("bad address\n");
		return;
	}
	for (i = 0; i < k && nfd < MAXC; i++) {
		e = open_one(&to, tlen);
		if (e)
			break;
		opened++;
	}
	printf("opened %d open %d failed %d errno %s\n", opened, nfd - first, !!e, ename(e));
}

static void cmd_close(int k)
{
	char buf[256];
	int i;

	for (i = 0; i < k && first < nfd; i++) {
		/* what the server sent, read first: closing with unread data
		 * would reset the connection instead of ending it (no TIME_WAIT) */
		while (recv(fds[first], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		close(fds[first++]);
	}
	printf("closed %d open %d\n", i, nfd - first);
}

static void cmd_ports(void)
{
	struct sockaddr_storage a;
	socklen_t len;
	int i;

	for (i = first; i < nfd; i++) {
		len = sizeof(a);
		if (!getsockname(fds[i], (struct sockaddr *)&a, &len))
			printf("%s%u", i > first ? " " : "",
			       ntohs(((struct sockaddr_in *)&a)->sin_port));	/* same offset in v6 */
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	char line[128];
	int port = 0, c, k, p;

	while ((c = getopt(argc, argv, "a:p:bs:")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'b': bind_first = 1; break;
		case 's': src = optarg; break;
		default: return 2;
		}
	}
	if (!addr || port <= 0) {
		fprintf(stderr, "usage: portfill -a ADDR -p PORT [-b] [-s SRC]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid %d\n", getpid());
	while (fgets(line, sizeof(line), stdin)) {
		p = port;
		if (sscanf(line, "open %d %d", &k, &p) >= 1)
			cmd_open(addr, p, k);
		else if (sscanf(line, "close %d", &k) == 1)
			cmd_close(k);
		else if (!strncmp(line, "ports", 5))
			cmd_ports();
		else
			printf("unknown command\n");
	}
	return 0;
}
