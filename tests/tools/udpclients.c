// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpclients: UDP clients of udpworkers that check where their datagrams
 * land.
 *
 *   udpclients flows    -a ADDR -p PORT [-c CLIENTS] [-n N]
 *   udpclients sessions -a ADDR -p PORT [-c SESSIONS] [-i MS] [-l MS] [-t S]
 *   udpclients quic     -a ADDR -p PORT [-c CONNS] [-n N] [-r] [-u K]
 *
 * flows: CLIENTS connected sockets send N datagrams each, in rounds (one
 * from every client, then the next), each answered before the next is
 * sent. Prints "client I WORKERS" per client whose datagrams reached more
 * than one worker, "worker PID flows F datagrams D" per worker, then
 * "clients C one_worker O datagrams D answered A".
 *
 * sessions: SESSIONS concurrent sessions, each a connected socket sending a
 * numbered datagram every MS (default 10) ms for about -l MS (default 1500,
 * staggered ±1/3), waiting up to 500 ms for the last echoes, then closing;
 * a new session takes its place until -t S (default 10) is over. A session
 * is broken when an echo comes from another worker than its first. Prints
 * "sessions S broken B sent N echoed E lost L".
 *
 * quic: CONNS QUIC connections (RFC 8999 header forms, version 1) one after
 * the other: an Initial and a Handshake long header from one socket, then N
 * short headers to the server's connection ID; with -r the client moves to
 * a new socket (a new source port: NAT rebinding) after N/2. With -u K, K
 * short headers to a connection ID no server issued are sent first (on the
 * long headers' socket). Prints "conns C moved M reset R packets P answered
 * A unclaimed_on_flow_worker U", moved: a connection answered by another
 * worker than its Initial.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 4096

static struct sockaddr_storage dst;
static socklen_t dlen;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void to_sa(const char *a, int port)
{
	struct sockaddr_in *a4 = (void *)&dst;
	struct sockaddr_in6 *a6 = (void *)&dst;

	if (inet_pton(AF_INET, a, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		dlen = sizeof(*a4);
	} else if (inet_pton(AF_INET6, a, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		dlen = sizeof(*a6);
	} else {
		fprintf(stderr, "udpclients: bad address %s\n", a);
		exit(2);
	}
}

/* A connected socket; rcv timeout 1 s. */
static int client_socket(int nonblock)
{
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(dst.ss_family, SOCK_DGRAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0 || connect(fd, (void *)&dst, dlen)) {
		perror("udpclients: socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

struct worker_tally { int pid; unsigned long flows, datagrams; };
static struct worker_tally wt[256];
static int nwt;

static struct worker_tally *tally(int pid)
{
	int i;

	for (i = 0; i < nwt; i++)
		if (wt[i].pid == pid)
			return &wt[i];
	if (nwt == 256)
		exit(1);
	wt[nwt].pid = pid;
	return &wt[nwt++];
}

/* One datagram of client c, answered: the worker's pid, or 0. */
static int one_datagram(int fd, int seq)
{
	char buf[128];
	ssize_t r;
	int pid, echo;

	snprintf(buf, sizeof(buf), "%d", seq);
	if (send(fd, buf, strlen(buf), 0) < 0)
		return 0;
	do {
		r = recv(fd, buf, sizeof(buf) - 1, 0);
		if (r <= 0)
			return 0;
		buf[r] = 0;
	} while (sscanf(buf, "%d %d", &pid, &echo) != 2 || echo != seq);	/* a late echo */
	return pid;
}

static int run_flows(int nclients, int n)
{
	static int fds[MAX_CLIENTS], first[MAX_CLIENTS], split[MAX_CLIENTS];
	unsigned long answered = 0, one = 0;
	int c, k, pid;

	for (c = 0; c < nclients; c++)
		fds[c] = client_socket(0);
	for (k = 0; k < n; k++)
		for (c = 0; c < nclients; c++) {
			pid = one_datagram(fds[c], k);
			if (!pid)
				continue;
			answered++;
			tally(pid)->datagrams++;
			if (!first[c]) {
				first[c] = pid;
				tally(pid)->flows++;
			} else if (pid != first[c] && !split[c]) {
				split[c] = pid;
			}
		}
	for (c = 0; c < nclients; c++) {
		if (split[c])
			printf("client %d %d,%d…\n", c, first[c], split[c]);
		one += first[c] && !split[c];
	}
	for (k = 0; k < nwt; k++)
		printf("worker %d flows %lu datagrams %lu\n", wt[k].pid, wt[k].flows, wt[k].datagrams);
	printf("clients %d one_worker %lu datagrams %lu answered %lu\n", nclients, one, (unsigned long)nclients * n,
	       answered);
	return 0;
}

struct session {
	int fd, first, broken;
	unsigned long sent, echoed;
	double next, end, deadline;	/* next send; stop sending; give up */
};

static unsigned long s_total, s_broken, s_sent, s_echoed;

static void session_start(struct session *s, double t, double life)
{
	memset(s, 0, sizeof(*s));
	s->fd = client_socket(1);
	s->next = t;
	s->end = t + life * (2.0 / 3 + (double)rand() / RAND_MAX * 2 / 3);
	s->deadline = 0;
}

static void session_end(struct session *s)
{
	close(s->fd);
	s_total++;
	s_broken += s->broken;
	s_sent += s->sent;
	s_echoed += s->echoed;
}

static void session_read(struct session *s)
{
	char buf[128];
	ssize_t r;
	int pid, seq;

	while ((r = recv(s->fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[r] = 0;
		if (sscanf(buf, "%d %d", &pid, &seq) != 2)
			continue;
		s->echoed++;
		if (!s->first)
			s->first = pid;
		else if (pid != s->first)
			s->broken = 1;
	}
}

/* One step of a session at time t: send when due, end when done. 1: it
 * ended (and a new one may take its place). */
static int session_step(struct session *s, double t, double interval)
{
	char buf[32];

	if (!s->deadline && t >= s->end)
		s->deadline = t + 0.5;
	if (s->deadline)
		return s->echoed >= s->sent || t >= s->deadline;
	if (t >= s->next) {
		snprintf(buf, sizeof(buf), "%lu", s->sent);
		if (send(s->fd, buf, strlen(buf), 0) > 0)
			s->sent++;
		s->next += interval;
	}
	return 0;
}

static int run_sessions(int n, double interval, double life, double secs)
{
	static struct session ss[MAX_CLIENTS];
	static struct pollfd pfd[MAX_CLIENTS];
	double t0 = now(), t;
	int i, live = n;

	srand(getpid());
	for (i = 0; i < n; i++)
		session_start(&ss[i], t0 + interval * i / n, life);
	while (live) {
		for (i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = ss[i].fd, .events = POLLIN };
		poll(pfd, n, 1);
		t = now();
		for (i = 0; i < n; i++) {
			if (ss[i].fd < 0)
				continue;
			session_read(&ss[i]);
			if (!session_step(&ss[i], t, interval))
				continue;
			session_end(&ss[i]);
			if (t - t0 < secs)
				session_start(&ss[i], t, life);
			else
				ss[i].fd = -1, live--;
		}
	}
	printf("sessions %lu broken %lu sent %lu echoed %lu lost %lu\n", s_total, s_broken, s_sent, s_echoed,
	       s_sent - s_echoed);
	return 0;
}

/* ---- QUIC (RFC 8999 header forms) -------------------------------------- */

struct qconn {
	uint8_t ccid[8], scid[20];
	int sclen, fd, first;
};

static unsigned long q_moved, q_reset, q_packets, q_answered, q_unclaimed_ok;

/* A long header (type bits t): version 1, DCID, our SCID. */
static int q_long(struct qconn *c, int type, const uint8_t *dcid, int dclen)
{
	uint8_t p[128], r[256];
	int o = 0, pid;
	ssize_t n;

	p[o++] = 0xc0 | type << 4;
	memcpy(p + o, "\0\0\0\1", 4);
	o += 4;
	p[o++] = dclen;
	memcpy(p + o, dcid, dclen);
	o += dclen;
	p[o++] = 8;
	memcpy(p + o, c->ccid, 8);
	o += 8;
	o += sprintf((char *)p + o, "hello");
	q_packets++;
	if (send(c->fd, p, o, 0) < 0 || (n = recv(c->fd, r, sizeof(r) - 1, 0)) < 8 || !(r[0] & 0x80))
		return 0;
	r[n] = 0;
	if (r[5] != 8 || memcmp(r + 6, c->ccid, 8) || (c->sclen = r[14]) > 20 || n < 15 + c->sclen)
		return 0;
	memcpy(c->scid, r + 15, c->sclen);
	q_answered++;
	pid = atoi((char *)r + 15 + c->sclen);
	return pid;
}

/* A short header to dcid: the pid that answered (negative: a reset). */
static int q_short(struct qconn *c, const uint8_t *dcid, int dclen)
{
	uint8_t p[128], r[256];
	ssize_t n;

	p[0] = 0x40;
	memcpy(p + 1, dcid, dclen);
	memcpy(p + 1 + dclen, "data", 4);
	q_packets++;
	if (send(c->fd, p, 1 + dclen + 4, 0) < 0 || (n = recv(c->fd, r, sizeof(r) - 1, 0)) < 10 || (r[0] & 0x80))
		return 0;
	r[n] = 0;
	q_answered++;
	if (!strncmp((char *)r + 9, "RESET ", 6))
		return -atoi((char *)r + 15);
	return atoi((char *)r + 9);
}

static void q_connection(int n, int rebind, int unclaimed)
{
	struct qconn c = { .fd = client_socket(0) };
	uint8_t odcid[8], junk[20];
	int k, pid, moved = 0, reset = 0;

	if (getrandom(c.ccid, 8, 0) != 8 || getrandom(odcid, 8, 0) != 8)
		exit(1);
	c.first = q_long(&c, 0, odcid, 8);			/* Initial */
	pid = c.first ? q_long(&c, 2, c.scid, c.sclen) : 0;	/* Handshake */
	moved |= pid != c.first;
	for (k = 0; c.first && k < unclaimed; k++) {
		if (getrandom(junk, sizeof(junk), 0) != sizeof(junk))
			exit(1);
		pid = q_short(&c, junk, c.sclen);
		q_unclaimed_ok += -pid == c.first;	/* reset, from the flow's worker */
	}
	for (k = 0; c.first && k < n; k++) {
		if (rebind && k == n / 2) {
			close(c.fd);
			c.fd = client_socket(0);
		}
		pid = q_short(&c, c.scid, c.sclen);
		reset |= pid < 0;
		moved |= pid != c.first;
	}
	close(c.fd);
	q_moved += moved || !c.first;
	q_reset += reset;
}

static int run_quic(int nconns, int n, int rebind, int unclaimed)
{
	int i;

	for (i = 0; i < nconns; i++)
		q_connection(n, rebind, unclaimed);
	printf("conns %d moved %lu reset %lu packets %lu answered %lu unclaimed_on_flow_worker %lu\n", nconns,
	       q_moved, q_reset, q_packets, q_answered, q_unclaimed_ok);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *a = "127.0.0.1";
	int opt, port = 0, c = 50, n = 100, rebind = 0, unclaimed = 0;
	double interval = 10, life = 1500, secs = 10;

	optind = 2;
	while ((opt = getopt(argc, argv, "a:p:c:n:i:l:t:ru:")) != -1) {
		switch (opt) {
		case 'a': a = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': c = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 'l': life = atof(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'r': rebind = 1; break;
		case 'u': unclaimed = atoi(optarg); break;
		default: return 2;
		}
	}
	if (port <= 0 || c < 1 || c > MAX_CLIENTS || n < 0)
		return 2;
	to_sa(a, port);
	if (!strcmp(mode, "flows"))
		return run_flows(c, n);
	if (!strcmp(mode, "sessions"))
		return run_sessions(c, interval / 1000, life / 1000, secs);
	if (!strcmp(mode, "quic"))
		return run_quic(c, n, rebind, unclaimed);
	fprintf(stderr, "udpclients: flows, sessions or quic\n");
	return 2;
}
