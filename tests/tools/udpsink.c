// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpsink: receive datagrams with recvmmsg and count them; on SIGUSR1 print
 * the count so far, on SIGTERM print it and exit.
 *   udpsink PORT
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t report, stop;

static void on_usr1(int s) { (void)s; report = 1; }
static void on_term(int s) { (void)s; stop = 1; }

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	static char bufs[64][64];
	struct sigaction sa = {};
	unsigned long got = 0;
	int fd, i, n, big = 8 << 20;

	if (argc < 2)
		return 2;
	a.sin_port = htons(atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (void *)&a, sizeof(a)))
		return 1;
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		n = recvmmsg(fd, msgs, 64, 0, NULL);	/* a signal interrupts it */
		if (n > 0)
			got += n;
		if (report) {
			report = 0;
			printf("%lu\n", got);
			fflush(stdout);
		}
	}
	printf("%lu\n", got);
	return 0;
}
