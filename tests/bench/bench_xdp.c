// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP cost per frame, BPF_PROG_TEST_RUN on one CPU, side by side in one run:
 * an empty XDP_PASS program (the floor), the observer with per-port counters
 * only, and the full observer; a packet mix; flow tables holding 1, 1k and
 * 64k flows; and the flood path (a new flow every frame, 4x the table).
 * Hot figures: repeat R per run, min and median of K runs (the kernel's own
 * per-frame duration). Flood figures: one test_run per frame, wall time per
 * frame minus the empty program's on the same frames (the syscall cancels).
 *
 *   bench_xdp [REPEAT] [RUNS]     (default 5000000 7); JSON lines on stdout
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/log.h"
#include "observe/observer.h"
#include "pktbuild.h"

static int repeat = 5000000, runs = 7;

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* min and median ns/frame over `runs` runs of `repeat` frames */
static void hot(int fd, const struct pkt *p, double *min, double *med)
{
	double v[32];
	int i;

	for (i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = p->len, .repeat = repeat);

		bpf_prog_test_run_opts(fd, &o);
		v[i] = o.duration;
	}
	qsort(v, runs, sizeof(v[0]), cmp_d);
	*min = v[0];
	*med = v[runs / 2];
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* wall ns per frame over n frames, each a new flow (source port, address) */
static double flood(int fd, struct pkt *p, unsigned n)
{
	double t0 = now_ns();
	unsigned i;

	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = p->len, .repeat = 1);

		pkt_put16(p, p->l4, (uint16_t)i);		/* source port */
		pkt_put16(p, p->l3 + 12, (uint16_t)(i >> 16));	/* source address */
		bpf_prog_test_run_opts(fd, &o);
	}
	return (now_ns() - t0) / n;
}

static void build(struct pkt *p, const char *kind)
{
	pkt_init(p);
	if (!strcmp(kind, "ipv4-tcp")) {
		pkt_eth(p, 0x0800);
		pkt_ipv4(p, 6, 5);
		pkt_tcp(p, 40000, 443, 0x10, 5);
	} else if (!strcmp(kind, "ipv4-udp")) {
		pkt_eth(p, 0x0800);
		pkt_ipv4(p, 17, 5);
		pkt_udp(p, 40000, 53);
	} else if (!strcmp(kind, "ipv6-tcp")) {
		pkt_eth(p, 0x86DD);
		pkt_ipv6(p, 6);
		pkt_tcp(p, 40000, 443, 0x10, 5);
	} else if (!strcmp(kind, "vlan-ipv4-tcp")) {
		pkt_eth(p, 0x8100);
		pkt_vlan(p, 10, 0x0800);
		pkt_ipv4(p, 6, 5);
		pkt_tcp(p, 40000, 443, 0x10, 5);
	} else {	/* non-ip */
		pkt_eth(p, 0x88CC);
	}
	pkt_payload(p, 64);
	pkt_finish(p);
}

static int empty_prog(void)
{
	struct bpf_insn insns[] = { { .code = 0xb7, .imm = 2 }, { .code = 0x95 } };

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "empty", "GPL", insns, 2, NULL);
}

/* Put n synthetic flows in the table, so lookups search a table of that size. */
static void prefill(struct observer *ob, unsigned n)
{
	int fd = bpf_map__fd(ob->skel->maps.flows);
	struct ps_flow_stats v = { .packets = 1 };
	struct ps_flow_key k;
	unsigned i;

	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.family = 4;
		k.proto = 6;
		k.saddr[0] = 0x0100000a + (i << 8);
		k.sport = i;
		k.dport = 9;
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	}
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "ipv4-tcp", "ipv4-udp", "ipv6-tcp", "vlan-ipv4-tcp", "non-ip" };
	struct observer full, ports, inpl;
	struct observer_opts fo = {}, po = { .no_flows = 1 }, io = { .inplace = 1 };
	double e_min, e_med, p_min, p_med, f_min, f_med, i_min, i_med, fl_e, fl_f;
	cpu_set_t cpu;
	struct pkt p;
	int efd;
	size_t k;
	unsigned tables[] = { 1000, 64000 }, t;

	if (argc > 1)
		repeat = atoi(argv[1]);
	if (argc > 2)
		runs = atoi(argv[2]) > 31 ? 31 : atoi(argv[2]);
	log_init(0);
	CPU_ZERO(&cpu);
	CPU_SET(1 % libbpf_num_possible_cpus(), &cpu);
	sched_setaffinity(0, sizeof(cpu), &cpu);
	efd = empty_prog();
	if (efd < 0 || observer_load(&full, &fo) || observer_load(&ports, &po) ||
	    observer_load(&inpl, &io)) {
		fprintf(stderr, "bench_xdp: cannot load the programs (root?)\n");
		return 1;
	}
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		build(&p, kinds[k]);
		hot(efd, &p, &e_min, &e_med);
		hot(bpf_program__fd(ports.prog), &p, &p_min, &p_med);
		hot(bpf_program__fd(full.prog), &p, &f_min, &f_med);
		hot(bpf_program__fd(inpl.prog), &p, &i_min, &i_med);
		printf("{\"bench\":\"xdp_hot\",\"packet\":\"%s\",\"flows\":1,\"empty_min\":%.1f,\"empty_med\":%.1f,"
		       "\"ports_min\":%.1f,\"ports_med\":%.1f,\"full_min\":%.1f,\"full_med\":%.1f,"
		       "\"inplace_min\":%.1f,\"inplace_med\":%.1f}\n",
		       kinds[k], e_min, e_med, p_min, p_med, f_min, f_med, i_min, i_med);
		fflush(stdout);
	}
	build(&p, "ipv4-tcp");
	for (t = 0; t < 2; t++) {
		prefill(&full, tables[t]);
		hot(bpf_program__fd(full.prog), &p, &f_min, &f_med);
		printf("{\"bench\":\"xdp_hot\",\"packet\":\"ipv4-tcp\",\"flows\":%u,\"full_min\":%.1f,\"full_med\":%.1f}\n",
		       tables[t], f_min, f_med);
		fflush(stdout);
	}
	/* the flood path: 4 x max_entries new flows */
	fl_e = flood(efd, &p, 4 * PS_FLOWS_DEFAULT);
	fl_f = flood(bpf_program__fd(full.prog), &p, 4 * PS_FLOWS_DEFAULT);
	printf("{\"bench\":\"xdp_flood\",\"packet\":\"ipv4-tcp\",\"frames\":%u,\"empty_wall\":%.1f,"
	       "\"full_wall\":%.1f,\"full_over_empty\":%.1f}\n",
	       4 * PS_FLOWS_DEFAULT, fl_e, fl_f, fl_f - fl_e);
	observer_destroy(&full);
	observer_destroy(&ports);
	observer_destroy(&inpl);
	return 0;
}
