// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bindstorm: bind() calls at a steady rate, for the tracer's load test and
 * its cost.
 *
 *   bindstorm -a ADDR -p PORT [-u] [-r RATE] [-t SECS | -n N] [-s]
 *
 * Each call: a fresh socket, bind() to ADDR:PORT (held by another socket,
 * so it fails with EADDRINUSE), close. -s binds to port 0 instead (the call
 * succeeds: the cost of the tracer on the path it must not slow). -r RATE
 * calls a second on a fixed schedule (0: as fast as it can); -t SECS or -n N
 * calls. Prints "pid P" first, then "calls N failed N eaddrinuse N
 * ns_per_call X" (the bind() call alone, timed). -g calls getppid() instead,
 * back to back (a system call the tracer does not trace: what enabling the
 * syscall tracepoints costs every other call).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void wait_until(double t)
{
	struct timespec ts = { (time_t)t, (long)((t - (time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int getppid_loop(unsigned long n)
{
	double t0 = now();
	unsigned long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("calls %lu failed 0 eaddrinuse 0 ns_per_call %.0f seconds %.2f\n", n,
	       (now() - t0) / n * 1e9, now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&a4;
	socklen_t len = sizeof(a4);
	const char *addr = "127.0.0.1";
	double rate = 1000, secs = 0, t0, spent = 0, t;
	unsigned long n = 0, i, failed = 0, inuse = 0;
	int port = 0, udp = 0, succeed = 0, other = 0, c, fd;

	while ((c = getopt(argc, argv, "a:p:ur:t:n:sg")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'u': udp = 1; break;
		case 'r': rate = atof(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 's': succeed = 1; break;
		case 'g': other = 1; break;
		default: return 2;
		}
	}
	if (succeed)
		port = 0;
	if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
		a4.sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
		a6.sin6_port = htons(port);
		sa = (struct sockaddr *)&a6;
		len = sizeof(a6);
	} else {
		fprintf(stderr, "bindstorm: bad address %s\n", addr);
		return 2;
	}
	if (!n)
		n = secs > 0 && rate > 0 ? (unsigned long)(secs * rate + 0.5) : 100000;
	printf("pid %d\n", getpid());
	fflush(stdout);
	if (other)
		return getppid_loop(n);
	t0 = now();
	for (i = 0; i < n; i++) {
		if (rate > 0)
			wait_until(t0 + i / rate);
		fd = socket(sa->sa_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (fd < 0) {
			perror("socket");
			return 1;
		}
		t = now();
		if (bind(fd, sa, len)) {
			failed++;
			inuse += errno == EADDRINUSE;
		}
		spent += now() - t;
		close(fd);
	}
	printf("calls %lu failed %lu eaddrinuse %lu ns_per_call %.0f seconds %.2f\n", n, failed, inuse,
	       spent / n * 1e9, now() - t0);
	return 0;
}
