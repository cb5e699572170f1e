// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pure part of steering (user/steer/config.c): the configuration the
 * program reads, built from the slots; the weighted wheel; weights and drains
 * applied to the slots; the option parsers; the checks of a request against
 * a group. No root, no kernel: tables in, structures out.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lib/log.h"
#include "steer/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define END -1		/* ends a list of slots in a table row */
#define NO_CPU -1

/* One slot of a table row. */
struct slot_def {
	int slot;		/* END closes the list */
	__u64 cookie;
	__u32 pid, weight, drained;
	__s32 cpu;
};

static void fill_slots(struct ps_slot_info si[PS_MAX_MEMBERS], const struct slot_def *d)
{
	memset(si, 0, PS_MAX_MEMBERS * sizeof(*si));
	for (; d->slot != END; d++) {
		si[d->slot].cookie = d->cookie;
		si[d->slot].pid = d->pid;
		si[d->slot].weight = d->weight;
		si[d->slot].drained = d->drained;
		si[d->slot].cpu = d->cpu;
	}
}

/* A configuration full of garbage: build_cfg must write every field. */
static struct ps_steer_cfg *dirty_cfg(void)
{
	struct ps_steer_cfg *c = malloc(sizeof(*c));

	assert_non_null(c);
	memset(c, 0xab, sizeof(*c));
	return c;
}

/* ---- build_cfg --------------------------------------------------------- */

#define S(slot, cookie, weight, drained) { slot, cookie, 100 + (slot), weight, drained, NO_CPU }
static const struct slot_def three[] = {
	S(0, 11, 1, 0), S(1, 22, 1, 0), S(2, 33, 1, 0), { END },
};
static const struct slot_def one_drained[] = {
	S(0, 11, 1, 0), S(1, 22, 1, 1), S(2, 33, 1, 0), { END },
};
static const struct slot_def one_weight0[] = {
	S(0, 11, 1, 0), S(1, 22, 2, 0), S(2, 33, 0, 0), { END },
};
static const struct slot_def drained_and_weight0[] = {
	S(0, 11, 3, 1), S(1, 22, 2, 0), S(2, 33, 0, 0), { END },
};
static const struct slot_def gaps[] = {	/* free slots between members */
	S(3, 44, 1, 0), S(10, 55, 1, 0), S(63, 66, 1, 0), { END },
};
static const struct slot_def all_drained[] = {
	S(0, 11, 1, 1), S(1, 22, 1, 1), { END },
};
static const struct slot_def all_weight0[] = {
	S(0, 11, 0, 0), S(1, 22, 0, 0), { END },
};
static const struct slot_def none[] = { { END } };
/* a free slot keeps stale fields (pid, weight) but no cookie: never live */
static const struct slot_def free_slot[] = {
	{ 0, 0, 100, 5, 0, 0 }, S(1, 22, 1, 0), { END },
};
#undef S

static const struct {
	const char *name;
	__u32 policy;
	const struct slot_def *slots;
	__u32 nlive;
	int live[PS_MAX_MEMBERS];	/* END-terminated */
	__u32 wheel_len;
} cfg_cases[] = {
	{ "hash: every member", PS_POL_HASH, three, 3, { 0, 1, 2, END }, 0 },
	{ "round-robin: every member", PS_POL_RR, three, 3, { 0, 1, 2, END }, 0 },
	{ "least-conn: every member", PS_POL_LEAST_CONN, three, 3, { 0, 1, 2, END }, 0 },
	{ "affinity: every member", PS_POL_AFFINITY, three, 3, { 0, 1, 2, END }, 0 },
	{ "cpu: every member", PS_POL_CPU, three, 3, { 0, 1, 2, END }, 0 },
	{ "weighted: every member", PS_POL_WEIGHTED, three, 3, { 0, 1, 2, END }, 3 },
	{ "hash: drained left out", PS_POL_HASH, one_drained, 2, { 0, 2, END }, 0 },
	{ "round-robin: drained left out", PS_POL_RR, one_drained, 2, { 0, 2, END }, 0 },
	{ "least-conn: drained left out", PS_POL_LEAST_CONN, one_drained, 2, { 0, 2, END }, 0 },
	{ "affinity: drained left out", PS_POL_AFFINITY, one_drained, 2, { 0, 2, END }, 0 },
	{ "cpu: drained left out", PS_POL_CPU, one_drained, 2, { 0, 2, END }, 0 },
	{ "weighted: drained left out", PS_POL_WEIGHTED, one_drained, 2, { 0, 2, END }, 2 },
	/* weight 0 means something to the weighted policy only */
	{ "hash: weight 0 still live", PS_POL_HASH, one_weight0, 3, { 0, 1, 2, END }, 0 },
	{ "round-robin: weight 0 still live", PS_POL_RR, one_weight0, 3, { 0, 1, 2, END }, 0 },
	{ "least-conn: weight 0 still live", PS_POL_LEAST_CONN, one_weight0, 3, { 0, 1, 2, END }, 0 },
	{ "affinity: weight 0 still live", PS_POL_AFFINITY, one_weight0, 3, { 0, 1, 2, END }, 0 },
	{ "cpu: weight 0 still live", PS_POL_CPU, one_weight0, 3, { 0, 1, 2, END }, 0 },
	{ "weighted: weight 0 left out", PS_POL_WEIGHTED, one_weight0, 2, { 0, 1, END }, 3 },
	{ "weighted: drained and weight 0", PS_POL_WEIGHTED, drained_and_weight0, 1, { 1, END }, 2 },
	{ "round-robin: drained and weight 0", PS_POL_RR, drained_and_weight0, 2, { 1, 2, END }, 0 },
	{ "round-robin: slots with gaps", PS_POL_RR, gaps, 3, { 3, 10, 63, END }, 0 },
	{ "weighted: slots with gaps", PS_POL_WEIGHTED, gaps, 3, { 3, 10, 63, END }, 3 },
	{ "free slot never live", PS_POL_WEIGHTED, free_slot, 1, { 1, END }, 1 },
	{ "hash: all drained", PS_POL_HASH, all_drained, 0, { END }, 0 },
	{ "weighted: all drained", PS_POL_WEIGHTED, all_drained, 0, { END }, 0 },
	{ "weighted: all weight 0", PS_POL_WEIGHTED, all_weight0, 0, { END }, 0 },
	{ "round-robin: no members", PS_POL_RR, none, 0, { END }, 0 },
	{ "cpu: no members", PS_POL_CPU, none, 0, { END }, 0 },
};

static void test_build_cfg_live(void **state)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	struct ps_steer_cfg *c = dirty_cfg();
	size_t i;
	__u32 k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cfg_cases); i++) {
		print_message("  build_cfg: %s\n", cfg_cases[i].name);
		fill_slots(si, cfg_cases[i].slots);
		memset(c, 0xab, sizeof(*c));
		build_cfg(c, cfg_cases[i].policy, si, 4);
		assert_int_equal(c->policy, cfg_cases[i].policy);
		assert_int_equal(c->nlive, cfg_cases[i].nlive);
		for (k = 0; k < c->nlive; k++)
			assert_int_equal(c->live[k], cfg_cases[i].live[k]);
		assert_int_equal(cfg_cases[i].live[c->nlive], END);
		for (k = c->nlive; k < PS_MAX_MEMBERS; k++)	/* the rest cleared */
			assert_int_equal(c->live[k], 0);
		/* slot_id: every slot's cookie, live or not (affinity ranks by it) */
		for (k = 0; k < PS_MAX_MEMBERS; k++)
			assert_true(c->slot_id[k] == si[k].cookie);
		assert_int_equal(c->wheel_len, cfg_cases[i].wheel_len);
		/* nothing live: nothing else is filled either */
		if (!c->nlive) {
			assert_int_equal(c->ncpus, 0);
			for (k = 0; k < PS_MAX_CPUS; k++)
				assert_int_equal(c->cpu_slot[k], 0);
		} else {
			assert_int_equal(c->ncpus, 4);
		}
		for (k = c->wheel_len; k < PS_WHEEL_MAX; k++)
			assert_int_equal(c->wheel[k], 0);
	}
	free(c);
}

/* The cpu table: the member whose SO_INCOMING_CPU is the CPU, else spread
 * over the live members in turn; only live members are candidates. */
static void test_build_cfg_cpu(void **state)
{
	static const struct slot_def pinned[] = {
		{ 0, 11, 100, 1, 0, NO_CPU },
		{ 2, 22, 101, 1, 0, 3 },	/* CPU 3's own member */
		{ 5, 33, 102, 1, 0, NO_CPU },
		{ 7, 44, 103, 1, 1, 1 },	/* drained: not CPU 1's member */
		{ 9, 55, 104, 1, 0, 300 },	/* a CPU beyond the table */
		{ END },
	};
	/* live: 0 2 5 9; CPU 3 has its member, the others go round */
	static const int want[8] = { 0, 2, 5, 2, 0, 2, 5, 9 };
	struct ps_slot_info si[PS_MAX_MEMBERS];
	struct ps_steer_cfg *c = dirty_cfg();
	__u32 policy, k;

	(void)state;
	fill_slots(si, pinned);
	for (policy = 0; policy < PS_POL_MAX; policy++) {	/* filled for every policy */
		build_cfg(c, policy, si, 8);
		assert_int_equal(c->nlive, 4);
		assert_int_equal(c->ncpus, 8);
		for (k = 0; k < 8; k++)
			assert_int_equal(c->cpu_slot[k], want[k]);
		for (k = 8; k < PS_MAX_CPUS; k++)
			assert_int_equal(c->cpu_slot[k], 0);
	}
	/* more CPUs than the table: capped, and every entry a live member */
	build_cfg(c, PS_POL_CPU, si, 1000);
	assert_int_equal(c->ncpus, PS_MAX_CPUS);
	for (k = 0; k < PS_MAX_CPUS; k++)
		assert_int_equal(c->cpu_slot[k], k == 3 ? 2 : c->live[k % 4]);
	build_cfg(c, PS_POL_CPU, si, PS_MAX_CPUS);
	assert_int_equal(c->ncpus, PS_MAX_CPUS);
	build_cfg(c, PS_POL_CPU, si, 1);
	assert_int_equal(c->ncpus, 1);
	assert_int_equal(c->cpu_slot[0], 0);
	assert_int_equal(c->cpu_slot[1], 0);
	free(c);
}

/* ---- build_wheel ------------------------------------------------------- */

/* A weighted configuration over slots 0..n-1 with these weights. */
static void wheel_of(struct ps_steer_cfg *c, struct ps_slot_info *si, const __u32 *w, size_t n)
{
	size_t i;

	memset(si, 0, PS_MAX_MEMBERS * sizeof(*si));
	for (i = 0; i < n; i++) {
		si[i].cookie = 1000 + i;
		si[i].weight = w[i];
		si[i].cpu = NO_CPU;
	}
	build_cfg(c, PS_POL_WEIGHTED, si, 1);
}

static void turns(const struct ps_steer_cfg *c, __u32 *n)
{
	__u32 k;

	memset(n, 0, PS_MAX_MEMBERS * sizeof(*n));
	for (k = 0; k < c->wheel_len; k++) {
		assert_in_range(c->wheel[k], 0, PS_MAX_MEMBERS - 1);
		n[c->wheel[k]]++;
	}
}

/* Longest run of one slot in a row, over the wheel read once. */
static __u32 longest_run(const struct ps_steer_cfg *c, __u16 slot)
{
	__u32 k, run = 0, best = 0;

	for (k = 0; k < c->wheel_len; k++) {
		run = c->wheel[k] == slot ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static void test_wheel_exact(void **state)
{
	static const struct {
		__u32 w[8];
		size_t n;
	} t[] = {
		{ { 3, 2, 1 }, 3 },
		{ { 1, 1 }, 2 },
		{ { 5, 1 }, 2 },
		{ { 4, 1, 1 }, 3 },
		{ { 7, 3 }, 2 },
		{ { 1, 2, 3, 4, 5, 6, 7, 8 }, 8 },
		{ { 1000, 1 }, 2 },
		{ { 1000, 24 }, 2 },	/* sums to exactly PS_WHEEL_MAX: not scaled */
	};
	struct ps_slot_info si[PS_MAX_MEMBERS];
	struct ps_steer_cfg *c = dirty_cfg();
	__u32 n[PS_MAX_MEMBERS], sum, i, k, seen, need;
	size_t r;

	(void)state;
	for (r = 0; r < ARRAY_SIZE(t); r++) {
		wheel_of(c, si, t[r].w, t[r].n);
		for (sum = 0, i = 0; i < t[r].n; i++)
			sum += t[r].w[i];
		/* exactly weight turns per cycle of sum */
		assert_int_equal(c->wheel_len, sum);
		turns(c, n);
		for (i = 0; i < t[r].n; i++)
			assert_int_equal(n[i], t[r].w[i]);
		for (i = 0; i < t[r].n; i++) {
			/* smooth: a slot of weight w never runs longer than its
			 * turns per turn of the others, ceil(w / (sum - w)) (the
			 * smooth round-robin is not run-optimal: 7:3 gives
			 * A B A A A B A A B A, where runs of 2 would do) */
			need = (t[r].w[i] + (sum - t[r].w[i]) - 1) / (sum - t[r].w[i]);
			assert_true(longest_run(c, i) <= need);
			/* and at every point its share is within one turn of w/sum */
			for (seen = 0, k = 0; k < c->wheel_len; k++) {
				seen += c->wheel[k] == i;
				assert_true((double)seen - (double)(k + 1) * t[r].w[i] / sum < 1.0);
				assert_true((double)(k + 1) * t[r].w[i] / sum - (double)seen < 1.0);
			}
		}
	}
	/* 3:2:1 in full: A B A C B A */
	wheel_of(c, si, (const __u32[]){ 3, 2, 1 }, 3);
	assert_int_equal(c->wheel[0], 0);
	assert_int_equal(c->wheel[1], 1);
	assert_int_equal(c->wheel[2], 0);
	assert_int_equal(c->wheel[3], 2);
	assert_int_equal(c->wheel[4], 1);
	assert_int_equal(c->wheel[5], 0);
	free(c);
}

/* The wheel holds live slot numbers, not positions in live[]. */
static void test_wheel_slots(void **state)
{
	static const struct slot_def d[] = {
		{ 5, 55, 1, 2, 0, NO_CPU }, { 9, 99, 2, 9, 1, NO_CPU },	/* drained */
		{ 40, 44, 3, 1, 0, NO_CPU }, { END },
	};
	struct ps_slot_info si[PS_MAX_MEMBERS];
	struct ps_steer_cfg *c = dirty_cfg();
	__u32 n[PS_MAX_MEMBERS];

	(void)state;
	fill_slots(si, d);
	build_cfg(c, PS_POL_WEIGHTED, si, 1);
	assert_int_equal(c->wheel_len, 3);
	turns(c, n);
	assert_int_equal(n[5], 2);
	assert_int_equal(n[40], 1);
	assert_int_equal(n[9], 0);
	free(c);
}

/* Sums over PS_WHEEL_MAX: scaled to fit, every positive weight keeps a turn,
 * shares stay close to the weights. */
static void test_wheel_scaled(void **state)
{
	/* up to three kinds of member: (weight, how many) */
	static const struct {
		const char *name;
		__u32 kind[3][2];
		__u32 min_first, max_first;	/* turns of each of the first kind */
	} t[] = {
		{ "64 x 1000", { { 1000, 64 } }, 16, 16 },
		{ "2 x 600", { { 600, 2 } }, 512, 512 },
		{ "1000, 1000, 1", { { 1000, 2 }, { 1, 1 } }, 511, 512 },
		{ "1000 and 63 x 1", { { 1000, 1 }, { 1, 63 } }, 950, 963 },
		{ "20 x 1000 and 44 x 1", { { 1000, 20 }, { 1, 44 } }, 45, 51 },
		{ "5000, 3000, 1", { { 5000, 1 }, { 3000, 1 }, { 1, 1 } }, 630, 640 },
		{ "1000, 24, 1", { { 1000, 1 }, { 24, 1 }, { 1, 1 } }, 990, 1000 },
	};
	struct ps_slot_info si[PS_MAX_MEMBERS];
	struct ps_steer_cfg *c = dirty_cfg();
	__u32 w[PS_MAX_MEMBERS], n[PS_MAX_MEMBERS], i, j, nm;
	__u64 sum;
	size_t r;

	(void)state;
	for (r = 0; r < ARRAY_SIZE(t); r++) {
		print_message("  wheel scaled: %s\n", t[r].name);
		for (nm = 0, sum = 0, i = 0; i < 3; i++)
			for (j = 0; j < t[r].kind[i][1]; j++, nm++)
				sum += w[nm] = t[r].kind[i][0];
		wheel_of(c, si, w, nm);
		assert_true(sum > PS_WHEEL_MAX);
		/* each share rounded down: at most one turn short per member */
		assert_in_range(c->wheel_len, PS_WHEEL_MAX - nm, PS_WHEEL_MAX);
		turns(c, n);
		for (i = 0; i < nm; i++)
			assert_true(n[i] >= 1);		/* nobody starves */
		for (i = 0; i < t[r].kind[0][1]; i++)
			assert_in_range(n[i], t[r].min_first, t[r].max_first);
		/* shares: within 1% of the wheel of what the weights ask, or the
		 * one turn a tiny weight is lifted to */
		for (i = 0; i < nm; i++) {
			double want = (double)w[i] * PS_WHEEL_MAX / sum;

			assert_true(n[i] == 1 || (n[i] > want - 11 && n[i] < want + 11));
		}
	}
	free(c);
}

/*
 * Scaling rounds to nearest and lifts 0 to 1, so the scaled weights can sum
 * to more than PS_WHEEL_MAX (20 x 1000 + 44 x 1: 20 x 51 + 44 = 1064); the
 * wheel then holds only the first 1024 turns of a longer cycle, and equal
 * weights get unequal turns (1000, 1000, 1: 512 and 511).
 */
static void test_wheel_scaled_equal(void **state)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	struct ps_steer_cfg *c = dirty_cfg();
	__u32 n[PS_MAX_MEMBERS];

	(void)state;
	wheel_of(c, si, (const __u32[]){ 1000, 1000, 1 }, 3);
	turns(c, n);
	print_message("  wheel 1000:1000:1 -> %u:%u:%u turns of %u\n", n[0], n[1], n[2], c->wheel_len);
	assert_int_equal(n[0], n[1]);	/* 512/511 before Hamilton's rounding */
	assert_int_equal(n[0] + n[1] + n[2], c->wheel_len);
	free(c);
}

/* ---- apply_args, slots_idle -------------------------------------------- */

static void test_apply_args(void **state)
{
	static const struct slot_def d[] = {
		{ 0, 11, 100, 1, 0, NO_CPU },
		{ 1, 22, 200, 1, 0, NO_CPU },
		{ 2, 33, 300, 1, 1, NO_CPU },	/* drained before */
		{ 3, 44, 100, 1, 0, NO_CPU },	/* pid 100 serves two members */
		{ 4, 0, 200, 7, 0, NO_CPU },	/* a free slot: never touched */
		{ END },
	};
	static const struct {
		const char *name;
		struct weight_arg w[4];
		size_t nw;
		pid_t drain[2], undrain[2];
		size_t nd, nu;
		__u32 weight[5], drained[5];
	} t[] = {
		{ "nothing asked", {}, 0, {}, {}, 0, 0, { 1, 1, 1, 1, 7 }, { 0, 0, 1, 0, 0 } },
		{ "weight by pid: every member it serves", { { 0, 100, 5 } }, 1, {}, {}, 0, 0,
		  { 5, 1, 1, 5, 7 }, { 0, 0, 1, 0, 0 } },
		{ "weight by cookie: that member only", { { 44, 0, 9 } }, 1, {}, {}, 0, 0,
		  { 1, 1, 1, 9, 7 }, { 0, 0, 1, 0, 0 } },
		{ "weight 0", { { 22, 0, 0 } }, 1, {}, {}, 0, 0,
		  { 1, 0, 1, 1, 7 }, { 0, 0, 1, 0, 0 } },
		{ "unknown pid and cookie: nothing changes", { { 0, 999, 5 }, { 77, 0, 5 } }, 2,
		  { 999 }, { 998 }, 1, 1, { 1, 1, 1, 1, 7 }, { 0, 0, 1, 0, 0 } },
		{ "later weights win", { { 0, 100, 5 }, { 11, 0, 2 } }, 2, {}, {}, 0, 0,
		  { 2, 1, 1, 5, 7 }, { 0, 0, 1, 0, 0 } },
		{ "drain", {}, 0, { 200 }, {}, 1, 0, { 1, 1, 1, 1, 7 }, { 0, 1, 1, 0, 0 } },
		{ "drain by pid: every member it serves", {}, 0, { 100 }, {}, 1, 0,
		  { 1, 1, 1, 1, 7 }, { 1, 0, 1, 1, 0 } },
		{ "undrain", {}, 0, {}, { 300 }, 0, 1, { 1, 1, 1, 1, 7 }, { 0, 0, 0, 0, 0 } },
		{ "drain and undrain one pid: undrain wins", {}, 0, { 200 }, { 200 }, 1, 1,
		  { 1, 1, 1, 1, 7 }, { 0, 0, 1, 0, 0 } },
		{ "weights and drains at once", { { 33, 0, 4 } }, 1, { 100, 200 }, { 300 }, 2, 1,
		  { 1, 1, 4, 1, 7 }, { 1, 1, 0, 1, 0 } },
	};
	struct ps_slot_info si[PS_MAX_MEMBERS], before[PS_MAX_MEMBERS];
	struct steer_req r;
	size_t i, k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		print_message("  apply_args: %s\n", t[i].name);
		memset(&r, 0, sizeof(r));
		for (k = 0; k < t[i].nw; k++)
			r.weights.v[r.weights.n++] = t[i].w[k];
		for (k = 0; k < t[i].nd; k++)
			r.drain.v[r.drain.n++] = t[i].drain[k];
		for (k = 0; k < t[i].nu; k++)
			r.undrain.v[r.undrain.n++] = t[i].undrain[k];
		fill_slots(si, d);
		memcpy(before, si, sizeof(si));
		apply_args(si, &r);
		for (k = 0; k < 5; k++) {
			assert_int_equal(si[k].weight, t[i].weight[k]);
			assert_int_equal(si[k].drained, t[i].drained[k]);
			/* nothing but weight and drained moves */
			assert_true(si[k].cookie == before[k].cookie);
			assert_int_equal(si[k].pid, before[k].pid);
			assert_int_equal(si[k].cpu, before[k].cpu);
		}
		assert_memory_equal(&si[5], &before[5], sizeof(si[0]) * (PS_MAX_MEMBERS - 5));
	}
}

static void test_slots_idle(void **state)
{
	static const struct slot_def busy[] = {
		{ 0, 11, 1, 0, 1, NO_CPU }, { 1, 22, 2, 1, 0, NO_CPU }, { END } };
	static const struct slot_def drained[] = {
		{ 0, 11, 1, 3, 1, NO_CPU }, { 1, 22, 2, 1, 1, NO_CPU }, { END } };
	static const struct slot_def zero[] = {
		{ 0, 11, 1, 0, 0, NO_CPU }, { 1, 22, 2, 0, 0, NO_CPU }, { END } };
	static const struct slot_def mixed[] = {	/* weighted one drained, other 0 */
		{ 0, 11, 1, 5, 1, NO_CPU }, { 1, 22, 2, 0, 0, NO_CPU }, { END } };
	static const struct slot_def free_weighted[] = {	/* no cookie: not a member */
		{ 0, 0, 1, 5, 0, NO_CPU }, { 1, 22, 2, 0, 0, NO_CPU }, { END } };
	static const struct {
		const struct slot_def *d;
		int idle;
	} t[] = {
		{ busy, 0 }, { drained, 1 }, { zero, 1 }, { mixed, 1 }, { free_weighted, 1 },
		{ none, 1 }, { three, 0 }, { one_drained, 0 },
	};
	struct ps_slot_info si[PS_MAX_MEMBERS];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		fill_slots(si, t[i].d);
		assert_int_equal(slots_idle(si), t[i].idle);
	}
}

/* ---- option parsers ---------------------------------------------------- */

static void test_parse_weight(void **state)
{
	static const struct {
		const char *in;
		int err;
		__u64 cookie;
		pid_t pid;
		__u32 w;
	} t[] = {
		{ "123=4", 0, 0, 123, 4 },
		{ "1=0", 0, 0, 1, 0 },
		{ "2147483647=1000", 0, 0, 2147483647, 1000 },
		{ "cookie:99=7", 0, 99, 0, 7 },
		{ "cookie:18446744073709551615=1", 0, ~0ULL, 0, 1 },
		{ "0123=05", 0, 0, 123, 5 },
		{ "123", -EINVAL }, { "=4", -EINVAL }, { "123=", -EINVAL }, { "", -EINVAL },
		{ "abc=1", -EINVAL }, { "0=1", -EINVAL }, { "-1=1", -EINVAL },
		{ "2147483648=1", -EINVAL }, { "123=1001", -EINVAL }, { "123=-1", -EINVAL },
		{ "123=4x", -EINVAL }, { "123=4 ", -EINVAL }, { " 123=4", -EINVAL },
		{ "1=2=3", -EINVAL }, { "cookie:=1", -EINVAL }, { "cookie:0=1", -EINVAL },
		{ "cookie:x=1", -EINVAL }, { "cookie:18446744073709551616=1", -EINVAL },
		{ "Cookie:5=1", -EINVAL }, { "cookie5=1", -EINVAL }, { "pid:5=1", -EINVAL },
	};
	struct weight_list l;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		memset(&l, 0, sizeof(l));
		assert_int_equal(parse_weight(t[i].in, &l), t[i].err);
		assert_int_equal(l.n, t[i].err ? 0 : 1);
		if (t[i].err)
			continue;
		assert_true(l.v[0].cookie == t[i].cookie);
		assert_int_equal(l.v[0].pid, t[i].pid);
		assert_int_equal(l.v[0].w, t[i].w);
	}
	/* the list fills up at PS_MAX_MEMBERS, then refuses and stays full */
	memset(&l, 0, sizeof(l));
	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		char s[32];

		snprintf(s, sizeof(s), "%zu=%zu", i + 1, i % 1001);
		assert_int_equal(parse_weight(s, &l), 0);
	}
	assert_int_equal(l.n, PS_MAX_MEMBERS);
	assert_int_equal(parse_weight("7=7", &l), -EINVAL);
	assert_int_equal(l.n, PS_MAX_MEMBERS);
	assert_int_equal(l.v[PS_MAX_MEMBERS - 1].pid, PS_MAX_MEMBERS);
}

/* An argument longer than parse_weight's 64-byte buffer is cut, silently: a
 * weight written with leading zeros, 0000…0005, is read as 0000…000 = 0. */
static void test_parse_weight_long(void **state)
{
	char s[128];
	struct weight_list l = {};
	int err;

	(void)state;
	snprintf(s, sizeof(s), "1=%062d", 5);	/* "1=" then 61 zeros and a 5 */
	assert_int_equal(strlen(s), 64);
	err = parse_weight(s, &l);	/* was cut at 64 bytes: weight 0 */
	assert_true(err == -EINVAL || (l.n == 1 && l.v[0].w == 5));
}

static void test_parse_pid(void **state)
{
	static const struct {
		const char *in;
		int err;
		pid_t v;
	} t[] = {
		{ "1", 0, 1 }, { "4242", 0, 4242 }, { "2147483647", 0, 2147483647 },
		{ "0", -EINVAL }, { "-1", -EINVAL }, { "2147483648", -EINVAL },
		{ "abc", -EINVAL }, { "", -EINVAL }, { " 1", -EINVAL }, { "1 ", -EINVAL },
		{ "12a", -EINVAL }, { "0x10", -EINVAL },
	};
	struct pid_list l;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		memset(&l, 0, sizeof(l));
		assert_int_equal(parse_pid(t[i].in, &l), t[i].err);
		assert_int_equal(l.n, t[i].err ? 0 : 1);
		if (!t[i].err)
			assert_int_equal(l.v[0], t[i].v);
	}
	memset(&l, 0, sizeof(l));
	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		char s[16];

		snprintf(s, sizeof(s), "%zu", 1000 + i);
		assert_int_equal(parse_pid(s, &l), 0);
	}
	assert_int_equal(parse_pid("5", &l), -EINVAL);
	assert_int_equal(l.n, PS_MAX_MEMBERS);
	assert_int_equal(l.v[0], 1000);
	assert_int_equal(l.v[PS_MAX_MEMBERS - 1], 1000 + PS_MAX_MEMBERS - 1);
}

static void test_parse_policy(void **state)
{
	static const struct {
		const char *in;
		int policy;
	} t[] = {
		{ "hash", PS_POL_HASH }, { "round-robin", PS_POL_RR },
		{ "weighted", PS_POL_WEIGHTED }, { "least-conn", PS_POL_LEAST_CONN },
		{ "source-affinity", PS_POL_AFFINITY }, { "cpu", PS_POL_CPU },
		{ "", -1 }, { "Hash", -1 }, { "rr", -1 }, { "round_robin", -1 },
		{ "round-robin ", -1 }, { "affinity", -1 }, { "least", -1 }, { "?", -1 },
	};
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		p = 1234;
		assert_int_equal(parse_policy_arg(t[i].in, &p), t[i].policy < 0 ? -EINVAL : 0);
		assert_int_equal(p, t[i].policy);
		assert_int_equal(parse_policy(t[i].in), t[i].policy);
	}
	/* names round-trip; out of range is "?" */
	for (p = 0; p < PS_POL_MAX; p++)
		assert_int_equal(parse_policy(policy_name(p)), p);
	assert_string_equal(policy_name(PS_POL_MAX), "?");
	for (p = 0; p < PS_S_MAX; p++)
		assert_true(strlen(steer_reason_name(p)) > 3);
	assert_string_equal(steer_reason_name(PS_S_CALLS), "calls");
	assert_string_equal(steer_reason_name(PS_S_MAX), "?");
	assert_string_equal(steer_reason_name(-1), "?");
}

/* ---- steer_req_check against hand-built groups ------------------------- */

/*
 * A group of three members served by workers 101, 102, 103 (fd 5 each),
 * all three also held, not served, by their master 100 (nginx's layout);
 * and a fourth member nobody holds any more.
 */
static struct holder holders[3][2];
static struct member members[4];

static void make_group(struct group *g, __u8 proto, size_t n)
{
	size_t i;

	memset(holders, 0, sizeof(holders));
	memset(members, 0, sizeof(members));
	for (i = 0; i < 3; i++) {
		holders[i][0] = (struct holder){ .inode = 500 + i, .pid = 100, .fd = 3 + i };
		holders[i][1] = (struct holder){ .inode = 500 + i, .pid = 101 + i, .fd = 5,
						 .serving = 1 };
		members[i].sk.cookie = 11 * (i + 1);	/* 11 22 33 */
		members[i].sk.proto = proto;
		members[i].holders = holders[i];
		members[i].nholders = 2;
		members[i].reuseport = 1;
	}
	members[3].sk.cookie = 44;	/* its holders gone */
	members[3].reuseport = 1;
	memset(g, 0, sizeof(*g));
	g->proto = proto;
	g->family = AF_INET;
	g->port = 8080;
	g->m = members;
	g->n = n;
}

static void test_req_check(void **state)
{
	static const struct {
		const char *name;
		__u8 proto;
		size_t nmembers;
		int policy;
		struct weight_arg w[3];
		size_t nw;
		pid_t drain[3], undrain[1];
		size_t nd, nu;
		int err;
	} t[] = {
		{ "round-robin, nothing else", IPPROTO_TCP, 3, PS_POL_RR, {}, 0, {}, {}, 0, 0, 0 },
		{ "every policy on TCP: least-conn", IPPROTO_TCP, 3, PS_POL_LEAST_CONN,
		  {}, 0, {}, {}, 0, 0, 0 },
		{ "least-conn on UDP", IPPROTO_UDP, 3, PS_POL_LEAST_CONN, {}, 0, {}, {}, 0, 0,
		  -EINVAL },
		{ "round-robin on UDP", IPPROTO_UDP, 3, PS_POL_RR, {}, 0, {}, {}, 0, 0, 0 },
		{ "policy unchanged (-1) on UDP", IPPROTO_UDP, 3, -1, {}, 0, {}, {}, 0, 0, 0 },
		{ "weights of serving pids", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 0, 101, 3 }, { 0, 102, 2 }, { 0, 103, 1 } }, 3, {}, {}, 0, 0, 0 },
		{ "weight by member cookie", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 22, 0, 5 } }, 1, {}, {}, 0, 0, 0 },
		{ "weight of a pid serving nothing", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 0, 999, 2 } }, 1, {}, {}, 0, 0, -EINVAL },
		{ "weight of the master (holds, does not serve)", IPPROTO_TCP, 3,
		  PS_POL_WEIGHTED, { { 0, 100, 2 } }, 1, {}, {}, 0, 0, -EINVAL },
		{ "weight of a cookie not in the group", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 77, 0, 2 } }, 1, {}, {}, 0, 0, -EINVAL },
		{ "weights summing to 0", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 0, 101, 0 }, { 0, 102, 0 }, { 0, 103, 0 } }, 3, {}, {}, 0, 0, -EINVAL },
		{ "weights summing to 0 by cookie", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 11, 0, 0 }, { 22, 0, 0 }, { 33, 0, 0 } }, 3, {}, {}, 0, 0, -EINVAL },
		{ "two weights 0, the third member keeps 1", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 0, 101, 0 }, { 0, 102, 0 } }, 2, {}, {}, 0, 0, 0 },
		{ "drain a pid serving nothing", IPPROTO_TCP, 3, PS_POL_RR, {}, 0, { 999 }, {},
		  1, 0, -EINVAL },
		{ "drain the master", IPPROTO_TCP, 3, PS_POL_RR, {}, 0, { 100 }, {}, 1, 0,
		  -EINVAL },
		{ "undrain a pid serving nothing", IPPROTO_TCP, 3, PS_POL_RR, {}, 0, {}, { 999 },
		  0, 1, -EINVAL },
		{ "drain two of three", IPPROTO_TCP, 3, PS_POL_RR, {}, 0, { 101, 102 }, {}, 2, 0,
		  0 },
		{ "drain every member", IPPROTO_TCP, 3, PS_POL_RR, {}, 0, { 101, 102, 103 }, {},
		  3, 0, -EINVAL },
		{ "drain every served member, one member unserved", IPPROTO_TCP, 4, PS_POL_RR,
		  {}, 0, { 101, 102, 103 }, {}, 3, 0, 0 },
		{ "undrain a serving pid", IPPROTO_TCP, 3, PS_POL_RR, {}, 0, {}, { 102 }, 0, 1,
		  0 },
		{ "drain all, undrain one of them: it stays live", IPPROTO_TCP, 3, PS_POL_RR, {}, 0,
		  { 101, 102, 103 }, { 102 }, 3, 1, 0 },
		{ "drains and weights 0 leave nothing", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 0, 103, 0 } }, 1, { 101, 102 }, {}, 2, 0, -EINVAL },
		{ "drains and weights 0 leave one", IPPROTO_TCP, 3, PS_POL_WEIGHTED,
		  { { 0, 103, 0 } }, 1, { 101 }, {}, 1, 0, 0 },
	};
	struct steer_req r;
	struct group g;
	size_t i, k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		print_message("  steer_req_check: %s\n", t[i].name);
		make_group(&g, t[i].proto, t[i].nmembers);
		memset(&r, 0, sizeof(r));
		r.port = 8080;
		r.proto = t[i].proto;
		r.policy = t[i].policy;
		for (k = 0; k < t[i].nw; k++)
			r.weights.v[r.weights.n++] = t[i].w[k];
		for (k = 0; k < t[i].nd; k++)
			r.drain.v[r.drain.n++] = t[i].drain[k];
		for (k = 0; k < t[i].nu; k++)
			r.undrain.v[r.undrain.n++] = t[i].undrain[k];
		assert_int_equal(steer_req_check(&r, &g), t[i].err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_cfg_live),
		cmocka_unit_test(test_build_cfg_cpu),
		cmocka_unit_test(test_wheel_exact),
		cmocka_unit_test(test_wheel_slots),
		cmocka_unit_test(test_wheel_scaled),
		cmocka_unit_test(test_wheel_scaled_equal),
		cmocka_unit_test(test_apply_args),
		cmocka_unit_test(test_slots_idle),
		cmocka_unit_test(test_parse_weight),
		cmocka_unit_test(test_parse_weight_long),
		cmocka_unit_test(test_parse_pid),
		cmocka_unit_test(test_parse_policy),
		cmocka_unit_test(test_req_check),
	};

	log_init(-1);	/* the parsers' one-line complaints are expected here */
	return cmocka_run_group_tests_name("steer config", tests, NULL, NULL);
}
