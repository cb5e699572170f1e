// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rpclient: opens connections (or sends datagrams) to an rpserver and counts
 * which worker answered each, and every failure by kind.
 *
 *   rpclient -a ADDR -p PORT [-u] [-n N] [-t SECONDS] [-r PER_SEC]
 *            [-s SRC[,SRC…]] [-k] [-q] [-H] [-T] [-w SECONDS]
 *
 * -n N requests (default 1000), or as many as fit in -t SECONDS, paced at
 * -r per second; -s binds each request to the next source address in turn;
 * -k keeps every connection open until stdin closes (for least-conn);
 * -H speaks HTTP/1.0 (GET /) and takes the PID from the last line of the
 * body (nginx: return 200 "$pid\n"). -T opens with TCP Fast Open (the SYN
 * carries a byte; sysctl net.ipv4.tcp_fastopen decides whether it is used).
 * Prints "PID COUNT" lines, then "ok N failed N refused N reset N timeout N
 * other N"; "-q" prints only the last line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct tally { int pid; unsigned long n; };
static struct tally t[1024];
static int nt;
static unsigned long ok, refused, reset, timeout_, other;
static int http, tfo;

static void count_pid(int pid)
{
	int i;

	for (i = 0; i < nt; i++)
		if (t[i].pid == pid) {
			t[i].n++;
			return;
		}
	if (nt < 1024)
		t[nt++] = (struct tally){ pid, 1 };
}

static int to_sa(const char *a, int port, struct sockaddr_storage *ss, socklen_t *len)
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
	fprintf(stderr, "rpclient: bad address %s\n", a);
	exit(2);
}

static void fail(int err)
{
	if (err == ECONNREFUSED)
		refused++;
	else if (err == ECONNRESET || err == EPIPE)
		reset++;
	else if (err == EAGAIN || err == ETIMEDOUT || err == EINPROGRESS)
		timeout_++;
	else
		other++;
}

/* HTTP/1.0: the whole response, then the pid on the body's last line. */
static int one_http(int fd)
{
	static const char req[] = "GET / HTTP/1.0\r\nHost: test\r\n\r\n";
	char resp[4096], *last;
	size_t got = 0;
	ssize_t r;

	if (write(fd, req, sizeof(req) - 1) != sizeof(req) - 1) {
		fail(errno);
		close(fd);
		return -1;
	}
	while (got < sizeof(resp) - 1 && (r = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += r;
	resp[got] = 0;
	close(fd);
	if (strncmp(resp, "HTTP/1.1 200", 12)) {
		fail(got ? EPROTO : ECONNRESET);
		return -1;
	}
	while (got && (resp[got - 1] == '\n' || resp[got - 1] == '\r'))
		resp[--got] = 0;
	last = strrchr(resp, '\n');
	ok++;
	count_pid(atoi(last ? last + 1 : resp));
	return -1;
}

/* One request; returns the connected fd when keeping, else -1. */
static int wait_secs = 2;	/* -w: how long a request may take */

static int one(const struct sockaddr_storage *dst, socklen_t dl, const char *src, int udp, int keep)
{
	struct timeval tv = { .tv_sec = wait_secs };
	struct sockaddr_storage s;
	socklen_t sl;
	char buf[32];
	ssize_t r;
	int fd = socket(dst->ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (src) {
		to_sa(src, 0, &s, &sl);
		if (bind(fd, (void *)&s, sl)) {
			perror("rpclient: bind");
			exit(2);
		}
	}
	if (tfo && !udp) {	/* TCP Fast Open: the SYN carries the first byte */
		if (sendto(fd, "?", 1, MSG_FASTOPEN, (const void *)dst, dl) != 1) {
			fail(errno);
			close(fd);
			return -1;
		}
	} else if (connect(fd, (const void *)dst, dl) || (udp && send(fd, "?", 1, 0) != 1)) {
		fail(errno);
		close(fd);
		return -1;
	}
	if (http)
		return one_http(fd);
	r = read(fd, buf, sizeof(buf) - 1);
	if (r <= 0) {
		fail(r == 0 ? ECONNRESET : errno);
		close(fd);
		return -1;
	}
	buf[r] = 0;
	ok++;
	count_pid(atoi(buf));
	if (keep)
		return fd;
	close(fd);
	return -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *srcs[256];
	int opt, port = 0, udp = 0, keep = 0, quiet = 0, nsrc = 0, i;
	unsigned long n = 1000, k;
	double secs = 0, rate = 0, start;
	struct sockaddr_storage dst;
	socklen_t dl;
	char *s, *tok;

	while ((opt = getopt(argc, argv, "a:p:un:t:r:s:kqHTw:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'u': udp = 1; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 't': secs = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 's':
			for (s = optarg; (tok = strtok(s, ",")) && nsrc < 256; s = NULL)
				srcs[nsrc++] = tok;
			break;
		case 'k': keep = 1; break;
		case 'q': quiet = 1; break;
		case 'H': http = 1; break;
		case 'T': tfo = 1; break;
		case 'w': wait_secs = atoi(optarg) > 0 ? atoi(optarg) : 2; break;
		default: return 2;
		}
	}
	to_sa(addr, port, &dst, &dl);
	if (secs > 0)
		n = (unsigned long)-1;
	start = now();
	for (k = 0; k < n; k++) {
		if (secs > 0 && now() - start >= secs)
			break;
		if (rate > 0)
			while (now() - start < k / rate)
				usleep(200);
		one(&dst, dl, nsrc ? srcs[k % nsrc] : NULL, udp, keep);
	}
	if (keep) {	/* hold the connections until told */
		printf("holding %lu\n", ok);
		fflush(stdout);
		while (read(0, &opt, 1) > 0)
			;
	}
	for (i = 0; i < nt && !quiet; i++)
		printf("%d %lu\n", t[i].pid, t[i].n);
	printf("ok %lu failed %lu refused %lu reset %lu timeout %lu other %lu\n", ok,
	       refused + reset + timeout_ + other, refused, reset, timeout_, other);
	return 0;
}
