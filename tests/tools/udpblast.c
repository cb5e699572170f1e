// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpblast: send small UDP datagrams as fast as sendmmsg allows, for a time.
 *   udpblast ADDR PORT SECONDS [FLOWS]    prints the datagrams sent
 * FLOWS source sockets (default 16) give as many 5-tuples.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct mmsghdr msgs[64];
	struct iovec iov;
	char payload[18] = "portscope-bench!!";
	int nflows = argc > 4 ? atoi(argv[4]) : 16, fds[256], i, n;
	unsigned long sent = 0;
	struct timespec t0, t;
	double secs;

	if (argc < 4 || nflows < 1 || nflows > 256)
		return 2;
	inet_pton(AF_INET, argv[1], &dst.sin_addr);
	dst.sin_port = htons(atoi(argv[2]));
	secs = atof(argv[3]);
	for (i = 0; i < nflows; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (connect(fds[i], (void *)&dst, sizeof(dst)))
			return 1;
	}
	iov.iov_base = payload;
	iov.iov_len = sizeof(payload);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 64; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0;; i++) {
		n = sendmmsg(fds[i % nflows], msgs, 64, 0);
		if (n > 0)
			sent += n;
		if (!(i & 63)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 >= secs)
				break;
		}
	}
	printf("%lu\n", sent);
	return 0;
}
