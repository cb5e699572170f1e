// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope demo: a lab in network namespaces that shows everything
 * portscope does, without touching the host's network.
 *
 *   ps-demo-c1 (10.250.0.11, .12) ─┐
 *   ps-demo-c2 (10.250.0.21)      ─┼─ br0 in ps-demo-sw ─ eth0 of ps-demo-srv (10.250.0.1)
 *
 * The server host runs N workers on TCP/8080 (SO_REUSEPORT), a UDP service
 * on 8080 (a different port) and a TCP service on 9090; the clients open
 * short and long-lived connections and send datagrams. The observer is
 * attached natively to the server's eth0 and the live view shown; portscope
 * steers the group from the start (hash, so it counts every connection),
 * then weighted 3:2:1, then drains one worker, stops it and starts a fresh
 * one. At the end: connections attempted, succeeded, failed, and each
 * worker's own count beside portscope's counters. Everything is torn down
 * on exit, Ctrl-C, SIGTERM and error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include "cli/commands.h"
#include "lib/caps.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "observe/live.h"
#include "sockets/groups.h"
#include "steer/steer.h"
#include "view/model.h"
#include "view/portview.h"
#include "view/render_ports.h"
#include "view/render_tui.h"

extern char **environ;

#define SRV_NS "ps-demo-srv"
#define PORT 8080
#define OTHER_PORT 9090
#define MAX_WORKERS 8

static const char *const lab_ns[] = { SRV_NS, "ps-demo-c1", "ps-demo-c2", "ps-demo-sw" };

/* Counters shared with the forked servers and clients. */
struct lab_counts {
	struct {
		pid_t pid;
		unsigned long served;	/* connections this worker accepted */
	} worker[2 * MAX_WORKERS];
	int nworkers;			/* replacements included */
	struct {
		unsigned long attempted, ok, failed;
	} kind[4];			/* tcp short, tcp long-lived, udp, tcp/9090 */
	volatile int stop_clients;
};

static const char *const kind_names[] = { "tcp short", "tcp long-lived", "udp", "tcp/9090" };

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the lab's network ------------------------------------------------------- */

/* Run ip(8) with these arguments: no shell, output only with -v. */
static int ip(const char *const *args)
{
	const char *argv[24] = { "ip" };
	posix_spawn_file_actions_t fa;
	int i, st = -1;
	pid_t pid;

	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	posix_spawn_file_actions_init(&fa);
	if (log_level < LOG_DEBUG) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	if (!posix_spawnp(&pid, "ip", &fa, NULL, (char *const *)argv, environ))
		waitpid(pid, &st, 0);
	posix_spawn_file_actions_destroy(&fa);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define IP(...) ip((const char *const[]){ __VA_ARGS__, NULL })

static void lab_down(void)
{
	size_t i;

	for (i = 0; i < sizeof(lab_ns) / sizeof(lab_ns[0]); i++)
		IP("netns", "del", lab_ns[i]);
}

static int lab_up(void)
{
	static const struct { const char *ns, *peer, *addr[2]; } hosts[] = {
		{ SRV_NS, "p-srv", { "10.250.0.1/24" } },
		{ "ps-demo-c1", "p-c1", { "10.250.0.11/24", "10.250.0.12/24" } },
		{ "ps-demo-c2", "p-c2", { "10.250.0.21/24" } },
	};
	size_t i, k;
	int err = 0;

	for (i = 0; i < 4 && !err; i++)
		err = IP("netns", "add", lab_ns[i]);
	err = err ?: IP("-n", "ps-demo-sw", "link", "add", "br0", "type", "bridge");
	err = err ?: IP("-n", "ps-demo-sw", "link", "set", "br0", "up");
	for (i = 0; i < 3 && !err; i++) {
		/* made from inside: 6.1 checks the name in the caller's
		 * namespace too, where the host may have its own eth0 */
		err = IP("-n", hosts[i].ns, "link", "add", "eth0", "type", "veth", "peer", "name",
			 hosts[i].peer, "netns", "ps-demo-sw");
		err = err ?: IP("-n", "ps-demo-sw", "link", "set", hosts[i].peer, "master", "br0", "up");
		for (k = 0; k < 2 && hosts[i].addr[k] && !err; k++)
			err = IP("-n", hosts[i].ns, "addr", "add", hosts[i].addr[k], "dev", "eth0");
		err = err ?: IP("-n", hosts[i].ns, "link", "set", "eth0", "up");
		err = err ?: IP("-n", hosts[i].ns, "link", "set", "lo", "up");
	}
	if (err)
		pr_warn("cannot build the lab's namespaces (ip exited %d; -vv shows its output)\n", err);
	return err ? -EIO : 0;
}

static int enter_ns(const char *name)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

/* ---- the lab's servers and clients (forked; they exit, never return) --------------- */

static int listener(int type, int port, int reuseport)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, (void *)&a, sizeof(a)) || (type == SOCK_STREAM && listen(fd, 1024)))
		_exit(1);
	return fd;
}

/* A worker: accept, answer with our pid, keep the connection until the peer
 * closes (long-lived ones stay). SIGTERM: stop accepting, exit. */
static void serve(int type, int port, int reuseport, unsigned long *served)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int lfd = listener(type, port, reuseport), ep = epoll_create1(0), n, i, c;
	char reply[16], buf[256];
	int len = snprintf(reply, sizeof(reply), "%d\n", getpid());

	stop_on_signals();
	signal(SIGINT, SIG_IGN);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!ps_stop) {
		n = epoll_wait(ep, evs, 64, 200);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != lfd) {
				if (read(evs[i].data.fd, buf, sizeof(buf)) <= 0)
					close(evs[i].data.fd);
				continue;
			}
			if (type == SOCK_DGRAM) {
				struct sockaddr_storage peer;
				socklen_t pl = sizeof(peer);

				while (recvfrom(lfd, buf, sizeof(buf), 0, (void *)&peer, &pl) >= 0) {
					sendto(lfd, reply, len, 0, (void *)&peer, pl);
					pl = sizeof(peer);
				}
				continue;
			}
			while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if (served)
					__atomic_add_fetch(served, 1, __ATOMIC_RELAXED);
				if (write(c, reply, len) < 0) {}
				struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };

				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
			}
		}
	}
	_exit(0);
}

static pid_t spawn_server(int type, int port, int reuseport, unsigned long *served)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_NAME, reuseport ? "lab-worker" : type == SOCK_DGRAM ? "lab-udp" : "lab-9090");
		if (enter_ns(SRV_NS))
			_exit(1);
		serve(type, port, reuseport, served);
	}
	return pid;
}

/* One request; returns a connected fd to keep open, or -1. */
static int request(int type, const char *src, int port, struct lab_counts *lc, int kind, int keep)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in s = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 2 };
	char buf[32];
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), ok = 0;

	inet_pton(AF_INET, "10.250.0.1", &dst.sin_addr);
	inet_pton(AF_INET, src, &s.sin_addr);
	__atomic_add_fetch(&lc->kind[kind].attempted, 1, __ATOMIC_RELAXED);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd >= 0 && !bind(fd, (void *)&s, sizeof(s)) && !connect(fd, (void *)&dst, sizeof(dst)) &&
	    (type == SOCK_STREAM || send(fd, "?", 1, 0) == 1))
		ok = read(fd, buf, sizeof(buf)) > 0;
	__atomic_add_fetch(ok ? &lc->kind[kind].ok : &lc->kind[kind].failed, 1, __ATOMIC_RELAXED);
	if (ok && keep)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* A client host: ~100 short TCP connections/s from its addresses, a few
 * long-lived ones (held 2-4 s), datagrams, and the other service. */
static void client(const char *ns, const char *const *srcs, int nsrc, struct lab_counts *lc)
{
	int held[8], age[8] = {}, i, k = 0;
	double next = mono();

	for (i = 0; i < 8; i++)
		held[i] = -1;
	signal(SIGINT, SIG_IGN);
	prctl(PR_SET_NAME, "lab-client");
	if (enter_ns(ns))
		_exit(1);
	while (!lc->stop_clients) {
		const char *src = srcs[k % nsrc];

		request(SOCK_STREAM, src, PORT, lc, 0, 0);
		if (k % 2 == 0)
			request(SOCK_DGRAM, src, PORT, lc, 2, 0);
		if (k % 10 == 0)
			request(SOCK_STREAM, src, OTHER_PORT, lc, 3, 0);
		if (k % 25 == 0) {	/* a long-lived connection replaces the oldest */
			i = (k / 25) % 8;
			if (held[i] >= 0)
				close(held[i]);
			held[i] = request(SOCK_STREAM, src, PORT, lc, 1, 1);
			age[i] = k;
		}
		for (i = 0; i < 8; i++)
			if (held[i] >= 0 && k - age[i] > 300 + 25 * i) {
				close(held[i]);
				held[i] = -1;
			}
		k++;
		next += 0.01;
		while (mono() < next && !lc->stop_clients)
			usleep(1000);
	}
	for (i = 0; i < 8; i++)
		if (held[i] >= 0)
			close(held[i]);
	_exit(0);
}

/* ---- the timeline ------------------------------------------------------------------ */

struct demo {
	struct lab_counts *lc;
	struct live live;
	double t0, duration;
	int nworkers, step, failed_steps;
	pid_t others[2], clients[2];
	pid_t drained;
	struct steer_member gone;	/* the stopped worker's counters, read before it left */
	char line[256];
	struct tui_hook hook;
	int tui;
};

/* Steer the lab's group, in this process (the steer library is quiet). */
static int steer(int policy, const char *const *weights, pid_t drain)
{
	struct steer_req r = { .port = PORT, .proto = IPPROTO_TCP, .policy = policy };
	struct steer_result res;

	for (; weights && *weights; weights++)
		if (parse_weight(*weights, &r.weights))
			return -EINVAL;
	if (drain)
		r.drain.v[r.drain.n++] = drain;
	return steer_apply(&r, &res);
}


static void event(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void event(struct demo *d, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(d->line, sizeof(d->line), "t+%.0fs  ", mono() - d->t0);

	va_start(ap, fmt);
	vsnprintf(d->line + n, sizeof(d->line) - n, fmt, ap);
	va_end(ap);
	d->hook.line = d->line;
	if (!d->tui) {
		printf("== %s\n", d->line);
		fflush(stdout);
	}
}

static pid_t worker_pid(const struct demo *d, int i)
{
	return d->lc->worker[i].pid;
}

static void tick(void *ctx)
{
	struct demo *d = ctx;
	double f = (mono() - d->t0) / d->duration;
	char w[3][32], pid[16];
	struct steer_view v;
	struct groups gs;
	struct groups_filter gf = { .port = PORT, .proto = IPPROTO_TCP };
	int i, last = d->nworkers - 1;
	size_t k;

	if (d->step == 0 && f >= 0.25) {
		d->step++;
		for (i = 0; i < 3; i++)	/* 3:2:1 over the first three, then 1 */
			snprintf(w[i], sizeof(w[i]), "%d=%d", worker_pid(d, i), 3 - i);
		if (steer(PS_POL_WEIGHTED, (const char *const[]){ w[0], w[1], w[2], NULL }, 0))
			d->failed_steps++;
		event(d, "steering weighted 3:2:1 (%s %s %s)", w[0], w[1], w[2]);
	} else if (d->step == 1 && f >= 0.5) {
		d->step++;
		d->drained = worker_pid(d, last);
		snprintf(pid, sizeof(pid), "%d", d->drained);
		if (steer(-1, NULL, d->drained))
			d->failed_steps++;
		event(d, "draining worker %d: no new connections", d->drained);
	} else if (d->step == 2 && f >= 0.6) {
		d->step++;
		/* its counters, before its slot goes with its socket */
		if (!groups_collect(&gs, &gf)) {
			for (k = 0; k < gs.n; k++)
				if (!steer_view_of(&gs.g[k], &v) && v.steered)
					for (size_t m = 0; m < v.n; m++)
						if ((pid_t)v.m[m].info.pid == d->drained)
							d->gone = v.m[m];
			groups_free(&gs);
		}
		kill(d->drained, SIGTERM);
		waitpid(d->drained, NULL, 0);
		i = d->lc->nworkers;
		d->lc->worker[i].pid = spawn_server(SOCK_STREAM, PORT, 1, &d->lc->worker[i].served);
		d->lc->nworkers++;
		usleep(200000);
		snprintf(pid, sizeof(pid), "%d=1", d->lc->worker[i].pid);
		if (steer(-1, (const char *const[]){ pid, NULL }, 0))	/* joins the group's steering */
			d->failed_steps++;
		event(d, "worker %d stopped (its queue migrates); new worker %d joined, weight 1",
		      d->drained, d->lc->worker[i].pid);
	} else if (f >= 1) {
		ps_stop = 1;
	}
}

/* ---- summary -------------------------------------------------------------------------- */

static int summary(struct demo *d)
{
	struct groups_filter gf = { .port = PORT, .proto = IPPROTO_TCP };
	unsigned long att = 0, ok = 0, failed = 0, mig_total = 0;
	const struct steer_member *sm;
	struct steer_view v = {};
	struct groups gs;
	int i, equal = 1;

	if (!groups_collect(&gs, &gf)) {
		if (gs.n)
			steer_view_of(&gs.g[0], &v);
		groups_free(&gs);
	}
	for (size_t m = 0; m < v.n; m++)
		mig_total += v.m[m].st.migrated_in;
	printf("\nportscope demo: %.0f s, %d workers on tcp/%d, clients 10.250.0.11, .12, .21\n",
	       d->duration, d->nworkers, PORT);
	for (i = 0; i < 4; i++) {
		printf("  %-15s attempted %8lu  succeeded %8lu  failed %lu\n", kind_names[i],
		       d->lc->kind[i].attempted, d->lc->kind[i].ok, d->lc->kind[i].failed);
		att += d->lc->kind[i].attempted;
		ok += d->lc->kind[i].ok;
		failed += d->lc->kind[i].failed;
	}
	printf("  %-15s attempted %8lu  succeeded %8lu  failed %lu\n", "all", att, ok, failed);
	printf("\n  %-8s %-10s %12s %12s %12s %s\n", "WORKER", "", "OWN COUNT", "PORTSCOPE",
	       "(SELECTED", "+ MIGRATED IN - OUT)");
	for (i = 0; i < d->lc->nworkers; i++) {
		pid_t pid = d->lc->worker[i].pid;
		unsigned long own = d->lc->worker[i].served, sel = 0, min = 0, mout = 0;

		sm = NULL;
		for (size_t m = 0; m < v.n; m++)
			if ((pid_t)v.m[m].info.pid == pid)
				sm = &v.m[m];
		if (pid == d->drained) {
			sm = &d->gone;
			mout = mig_total;	/* every migration left the stopped worker */
		}
		if (sm) {
			sel = sm->st.selected;
			min = sm->st.migrated_in;
		}
		equal &= own == sel + min - mout;
		printf("  %-8d %-10s %12lu %12lu %12lu %6lu %6lu\n", pid,
		       pid == d->drained ? "stopped" : i >= d->nworkers ? "joined" : "",
		       own, sel + min - mout, sel, min, mout);
	}
	printf("\n  steering: %" PRIu64 " new connections placed, %" PRIu64 " migrated, %" PRIu64
	       " stray segments left to the kernel, %" PRIu64 " fallbacks\n",
	       (uint64_t)(v.reasons[PS_S_CALLS] - v.reasons[PS_S_NOT_SYN] - v.reasons[PS_S_MIGRATIONS]),
	       (uint64_t)v.reasons[PS_S_MIGRATIONS], (uint64_t)v.reasons[PS_S_NOT_SYN],
	       (uint64_t)(v.reasons[PS_S_NO_MEMBER] + v.reasons[PS_S_EMPTY_SLOT] +
			  v.reasons[PS_S_SELECT_ERR] + v.reasons[PS_S_NO_ADDR]));
	printf("\n  %s: %lu failed connections; every worker's own count %s portscope's counters\n",
	       !failed && equal && !d->failed_steps ? "OK" : "NOT OK", failed,
	       equal ? "equals" : "DIFFERS FROM");
	return !failed && equal && !d->failed_steps ? EXIT_OK : EXIT_FAIL;
}

/* ---- the command ------------------------------------------------------------------------- */

/* The server host: workers, the other services, steering, the observer. */
static int lab_servers(struct demo *d)
{
	struct attach_req req = { .ifaces = { .v = { "eth0" }, .n = 1 } };
	int i;

	for (i = 0; i < d->nworkers; i++)
		d->lc->worker[i].pid = spawn_server(SOCK_STREAM, PORT, 1, &d->lc->worker[i].served);
	d->lc->nworkers = d->nworkers;
	d->others[0] = spawn_server(SOCK_DGRAM, PORT, 0, NULL);
	d->others[1] = spawn_server(SOCK_STREAM, OTHER_PORT, 0, NULL);
	usleep(300000);
	if (steer(PS_POL_HASH, NULL, 0)) {
		pr_warn("cannot steer the lab's group\n");
		return -EIO;
	}
	if (live_open(&d->live, &req))
		return -EIO;
	printf("lab up: server 10.250.0.1 (%d workers on tcp/%d, udp/%d, tcp/%d), observer on eth0 (%s)\n",
	       d->nworkers, PORT, PORT, OTHER_PORT, mode_name(d->live.ifs[0].mode));
	fflush(stdout);
	return 0;
}

/* The timeline, shown on the screen or as text snapshots every 5 s. */
static void run_timeline(struct demo *d)
{
	struct view_opts vo = { .sort = SORT_PORT };
	struct view_clock clk;
	struct port_view v;
	double next_print;

	d->t0 = mono();
	d->hook.tick = tick;
	d->hook.ctx = d;
	if (d->tui) {
		tui_top(&d->live, &vo, 1, &ps_stop, &d->hook);
		return;
	}
	view_start(&d->live.fds, &clk);
	next_print = d->t0 + 5;
	while (!ps_stop) {
		tick(d);
		usleep(100000);
		if (mono() < next_print || ps_stop)
			continue;
		next_print += 5;
		if (!view_next(&d->live.fds, &clk, &vo, &v)) {
			ports_text(&v, &d->live);
			view_done(&v, &clk);
		}
	}
	view_stop(&clk);
}

/* Everything this run made: steering, observer, processes, namespaces. */
static void lab_teardown(struct demo *d, int home)
{
	struct steer_req off = { .port = PORT, .proto = IPPROTO_TCP };
	struct steer_result res;
	enum steer_off_how how;
	int i;

	steer_off(&off, &res, &how);
	live_close(&d->live);
	for (i = 0; i < d->lc->nworkers; i++)
		if (d->lc->worker[i].pid > 0)
			kill(d->lc->worker[i].pid, SIGTERM);
	for (i = 0; i < 2; i++) {
		if (d->others[i] > 0)
			kill(d->others[i], SIGTERM);
		if (d->clients[i] > 0)
			kill(d->clients[i], SIGTERM);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	if (home >= 0) {
		setns(home, CLONE_NEWNET);
		close(home);
	}
	lab_down();
}

struct demo_cfg {
	double duration;
	__u32 workers;
	int no_tui;
};

static int run_demo(void *cfg, const struct common *c)
{
	static const char *const c1[] = { "10.250.0.11", "10.250.0.12" }, *const c2[] = { "10.250.0.21" };
	const struct demo_cfg *o = cfg;
	struct demo d = { .duration = o->duration, .nworkers = o->workers };
	int ret = EXIT_FAIL, i, home;

	(void)c;
	if (require_caps(NEED_BPF | NEED_NET_ADMIN | NEED_PTRACE))
		return EXIT_USAGE;
	d.tui = !o->no_tui && isatty(STDOUT_FILENO);
	d.lc = mmap(NULL, sizeof(*d.lc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d.lc == MAP_FAILED)
		return EXIT_FAIL;
	memset(d.lc, 0, sizeof(*d.lc));
	stop_on_signals();
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	lab_down();	/* what a killed earlier run may have left */
	if (lab_up() || enter_ns(SRV_NS) || lab_servers(&d))
		goto out;
	if (!(d.clients[0] = fork()))
		client("ps-demo-c1", c1, 2, d.lc);
	if (!(d.clients[1] = fork()))
		client("ps-demo-c2", c2, 1, d.lc);
	run_timeline(&d);
	d.lc->stop_clients = 1;
	for (i = 0; i < 2; i++)
		if (d.clients[i] > 0)
			waitpid(d.clients[i], NULL, 0);
	ret = d.step >= 3 ? summary(&d) : EXIT_FAIL;
	if (d.step < 3)
		printf("demo interrupted before its timeline ended\n");
out:
	lab_teardown(&d, home);
	munmap(d.lc, sizeof(*d.lc));
	return ret;
}

static const struct demo_cfg defaults = { .duration = 60, .workers = 3 };

static const struct opt demo_opts[] = {
	{ "duration", 0, OPT_SECONDS, OPTF(demo_cfg, duration), "S", "seconds (default 60; 10..3600)",
	  .min = 10, .max = 3600 },
	{ "workers", 0, OPT_U32, OPTF(demo_cfg, workers), "N", "TCP workers (default 3; 3..8)", .min = 3,
	  .max = MAX_WORKERS },
	{ "no-tui", 0, OPT_FLAG, OPTF(demo_cfg, no_tui), NULL,
	  "periodic text snapshots (the default when stdout is not a terminal)" },
	{ NULL },
};

const struct cmd cmd_demo = {
	.name = "demo",
	.summary = "a lab in network namespaces that shows all of the above",
	.about = "A self-contained lab in network namespaces (nothing on the host's network):\n"
		 "a server host with N workers on TCP/8080 (SO_REUSEPORT), a UDP service on\n"
		 "8080 and a TCP service on 9090, and two client hosts (three addresses) opening\n"
		 "short and long-lived connections and sending datagrams. The observer is\n"
		 "attached natively to the server's veth and shown live; portscope steers the\n"
		 "group (hash, then weighted 3:2:1), drains one worker, stops it and starts a\n"
		 "fresh one. The summary gives connections attempted, succeeded and failed,\n"
		 "and each worker's own count beside portscope's counters. Everything is\n"
		 "removed on exit, Ctrl-C or SIGTERM.",
	.examples = "sudo portscope demo\nsudo portscope demo --no-tui --duration 20",
	.notes = "before 0.2, -d, -w and -n meant --duration, --workers and --no-tui.",
	.opts = demo_opts,
	.cfg_size = sizeof(struct demo_cfg),
	.defaults = &defaults,
	.run = run_demo,
};
