// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpworkers: UDP worker processes on one port with SO_REUSEPORT, each with
 * its own socket, counting what reaches it — an unmodified UDP server as far
 * as portscope is concerned. Plain echo, or a small QUIC peer.
 *
 *   udpworkers -p PORT [-a ADDR] [-w N] [-d DIR] [-q cookie|OFF:LEN] [-s]
 *
 * Plain: each datagram is answered with "PID <its first bytes>"; -s (a
 * sink, for benchmarks): counted only, not answered.
 *
 * -q: a QUIC server at the level of RFC 8999's invariants (any version):
 * a long header (first bit 1: version, DCID length and DCID, SCID length and
 * SCID) opens a connection, or continues one whose server ID it names; the
 * answer is a long header to the client's SCID with the server's connection
 * ID (16 bytes) as SCID. A short header (first bit 0) carries the server's
 * ID at offset 1: a worker that issued it answers with a short header to
 * the client's ID and "PID"; any other answers "RESET PID" (in QUIC, a
 * stateless reset: the connection is lost). Each worker puts its id in the
 * IDs it issues: "cookie" writes its socket's SO_COOKIE big-endian in bytes
 * [0, 8), as nginx does with quic_bpf on; OFF:LEN writes the worker's number
 * (1, 2, …) big-endian in LEN bytes at OFF.
 *
 * The parent prints one line per worker once all listen, "PID" (plain) or
 * "PID HEXID" (-q), and stays until SIGTERM; SIGUSR1 starts one more worker.
 * On SIGTERM a worker writes DIR/PID: "datagrams D flows F conns C short S
 * unknown U" (flows: distinct client addresses and ports) and exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define SCID_LEN 16		/* the server's connection IDs */
#define TABLE (1 << 17)	/* peers and connections a worker remembers */

static int port, quic, cookie_id, id_off, id_len, sink;
static const char *addr = "::", *dir = ".";
static volatile sig_atomic_t stop, more;

static void on_term(int s) { (void)s; stop = 1; }
static void on_usr1(int s) { (void)s; more = 1; }

struct conn { uint8_t scid[SCID_LEN], ccid[20], cclen, used; };
static struct sockaddr_in6 *peers;	/* open addressing, sin6_family 0: free */
static struct conn *conns;
static unsigned long datagrams, nflows, nconns, nshort, nunknown;
static uint64_t my_id;

static int open_socket(void)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	int one = 1, fd;
	socklen_t len = sizeof(*a6);

	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
	} else {
		fprintf(stderr, "udpworkers: bad address %s\n", addr);
		exit(2);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (sink)	/* a benchmark's sink: a deep queue */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 8 << 20 }, sizeof(int));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) || bind(fd, (void *)&ss, len)) {
		perror("udpworkers: socket");
		exit(1);
	}
	return fd;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

/* A client address and port seen for the first time: one more flow. */
static void note_peer(const struct sockaddr_storage *ss)
{
	struct sockaddr_in6 k = {};
	const struct sockaddr_in *a4 = (const void *)ss;
	uint64_t h;

	if (ss->ss_family == AF_INET) {	/* as ::ffff:a.b.c.d */
		k.sin6_addr.s6_addr[10] = k.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&k.sin6_addr.s6_addr[12], &a4->sin_addr, 4);
		k.sin6_port = a4->sin_port;
	} else {
		memcpy(&k.sin6_addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		k.sin6_port = ((const struct sockaddr_in6 *)ss)->sin6_port;
	}
	k.sin6_family = AF_INET6;
	for (h = hash_bytes(&k, sizeof(k)) % TABLE; peers[h].sin6_family; h = (h + 1) % TABLE)
		if (!memcmp(&peers[h], &k, sizeof(k)))
			return;
	if (nflows < TABLE - 1) {
		peers[h] = k;
		nflows++;
	}
}

static struct conn *find_conn(const uint8_t *scid, int add)
{
	uint64_t h;

	for (h = hash_bytes(scid, SCID_LEN) % TABLE; conns[h].used; h = (h + 1) % TABLE)
		if (!memcmp(conns[h].scid, scid, SCID_LEN))
			return &conns[h];
	if (!add || nconns >= TABLE - 1)
		return NULL;
	conns[h].used = 1;
	memcpy(conns[h].scid, scid, SCID_LEN);
	nconns++;
	return &conns[h];
}

/* A new server connection ID: random, with this worker's id in it. */
static void new_scid(uint8_t *scid)
{
	int i, n = cookie_id ? 8 : id_len, off = cookie_id ? 0 : id_off;

	if (getrandom(scid, SCID_LEN, 0) != SCID_LEN)
		exit(1);
	for (i = 0; i < n; i++)
		scid[off + i] = my_id >> (8 * (n - 1 - i));
}

/* A long header: a connection opens (its DCID is the client's choice), or
 * goes on (its DCID is one of ours). Answer with our SCID. */
static int quic_long(const uint8_t *in, size_t n, uint8_t *out)
{
	uint8_t dcl, scl, scid[SCID_LEN];
	struct conn *c = NULL;
	size_t o = 0;

	if (n < 7 || (dcl = in[5]) > 20 || n < 7u + dcl || (scl = in[6 + dcl]) > 20 || n < 7u + dcl + scl)
		return -1;
	if (dcl == SCID_LEN)
		c = find_conn(in + 6, 0);
	if (!c) {
		new_scid(scid);
		c = find_conn(scid, 1);
		if (!c)
			return -1;
		c->cclen = scl;
		memcpy(c->ccid, in + 7 + dcl, scl);
	}
	out[o++] = 0xc0;
	memcpy(out + o, in + 1, 4);	/* the client's version */
	o += 4;
	out[o++] = c->cclen;
	memcpy(out + o, c->ccid, c->cclen);
	o += c->cclen;
	out[o++] = SCID_LEN;
	memcpy(out + o, c->scid, SCID_LEN);
	o += SCID_LEN;
	return o + sprintf((char *)out + o, "%d", getpid());
}

/* A short header: our connection, or somebody else's (a reset). */
static int quic_short(const uint8_t *in, size_t n, uint8_t *out)
{
	struct conn *c = n >= 1 + SCID_LEN ? find_conn(in + 1, 0) : NULL;
	size_t o = 1;

	out[0] = 0x40;
	if (!c) {
		nunknown++;
		memset(out + 1, 0, 8);
		return 9 + sprintf((char *)out + 9, "RESET %d", getpid());
	}
	nshort++;
	memcpy(out + o, c->ccid, c->cclen);
	o += c->cclen;
	return o + sprintf((char *)out + o, "%d", getpid());
}

static void answer(int fd, const uint8_t *in, size_t n, const struct sockaddr_storage *peer, socklen_t pl)
{
	uint8_t out[256];
	int len;

	if (!quic) {
		len = snprintf((char *)out, sizeof(out), "%d %.*s", getpid(), (int)(n < 64 ? n : 64), in);
	} else if (!n) {
		return;
	} else {
		len = in[0] & 0x80 ? quic_long(in, n, out) : quic_short(in, n, out);
	}
	if (len > 0)
		sendto(fd, out, len, 0, (const void *)peer, pl);
}

static void write_counts(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", dir, getpid());
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "datagrams %lu flows %lu conns %lu short %lu unknown %lu\n", datagrams, nflows, nconns, nshort,
		nunknown);
	fclose(f);
}

static void worker(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_storage peer;
	static uint8_t buf[2048];
	socklen_t pl;
	ssize_t n;

	peers = calloc(TABLE, sizeof(*peers));
	conns = calloc(TABLE, sizeof(*conns));
	if (!peers || !conns)
		exit(1);
	while (!stop) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		for (;;) {
			pl = sizeof(peer);
			n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&peer, &pl);
			if (n < 0)
				break;
			datagrams++;
			if (sink)
				continue;
			note_peer(&peer);
			answer(fd, buf, n, &peer, pl);
		}
	}
	write_counts();
	_exit(0);
}

/* A worker: its socket first (so that its id is known), then the loop. The
 * pipe carries its id to the parent. */
static pid_t spawn(int number, uint64_t *id)
{
	int p[2], fd;
	socklen_t len = sizeof(my_id);
	pid_t pid;

	if (pipe(p))
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		signal(SIGTERM, on_term);
		fd = open_socket();
		my_id = number;
		if (cookie_id && getsockopt(fd, SOL_SOCKET, SO_COOKIE, &my_id, &len))
			exit(1);
		if (write(p[1], &my_id, sizeof(my_id)) != sizeof(my_id))
			exit(1);
		close(p[1]);
		worker(fd);
	}
	close(p[1]);
	if (read(p[0], id, sizeof(*id)) != sizeof(*id))
		*id = 0;
	close(p[0]);
	return pid;
}

static void announce(pid_t pid, uint64_t id)
{
	if (quic)
		printf("%d %0*llx\n", pid, cookie_id ? 16 : 2 * id_len, (unsigned long long)id);
	else
		printf("%d\n", pid);
	fflush(stdout);
}

static void parse_q(const char *s)
{
	quic = 1;
	if (!strcmp(s, "cookie")) {
		cookie_id = 1;
		return;
	}
	if (sscanf(s, "%d:%d", &id_off, &id_len) != 2 || id_off < 0 || id_len < 1 || id_len > 8 ||
	    id_off + id_len > SCID_LEN) {
		fprintf(stderr, "udpworkers: -q cookie or OFF:LEN (LEN 1..8, within %d bytes)\n", SCID_LEN);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	int opt, workers = 3, i, n;
	pid_t pids[256];
	uint64_t id;

	while ((opt = getopt(argc, argv, "p:a:w:d:q:s")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'a': addr = optarg; break;
		case 'w': workers = atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'q': parse_q(optarg); break;
		case 's': sink = 1; break;
		default: return 2;
		}
	}
	if (port <= 0 || workers < 1 || workers > 200)
		return 2;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGUSR1, on_usr1);
	for (n = 0; n < workers; n++) {
		pids[n] = spawn(n + 1, &id);
		announce(pids[n], id);
	}
	while (!stop) {
		if (more && n < 256) {
			more = 0;
			pids[n] = spawn(n + 1, &id);
			announce(pids[n], id);
			n++;
		}
		pause();
	}
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
