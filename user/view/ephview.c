// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/log.h"
#include "view/ephview.h"

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int reading(struct eph_clock *c, struct eph_view *v)
{
	__u64 held[1024];
	int have = c->have_bs && !bindscan_read(&c->bs, held);

	return eph_collect(v, have ? held : NULL, &c->f);
}

int ephview_start(struct eph_clock *c, const struct eph_filter *f)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->f = *f;
	c->have_bs = !bindscan_open(&c->bs);
	if (!c->have_bs)
		pr_info("bind buckets not readable (needs CAP_BPF and CAP_PERFMON): ports held by "
			"sockets that bound before connecting are not counted\n");
	c->t_prev = mono();
	err = reading(c, &c->prev);
	c->have_prev = !err;
	return err;
}

int ephview_next(struct eph_clock *c, struct eph_view *v)
{
	double now = mono();
	int err = reading(c, v);

	if (err)
		return err;
	if (c->have_prev)
		eph_rates(v, &c->prev, now - c->t_prev);
	c->t_prev = now;
	return 0;
}

void ephview_done(struct eph_clock *c, struct eph_view *v)
{
	if (c->have_prev)
		eph_free(&c->prev);
	c->prev = *v;	/* taken over */
	c->have_prev = 1;
	memset(v, 0, sizeof(*v));
}

void ephview_stop(struct eph_clock *c)
{
	if (c->have_prev)
		eph_free(&c->prev);
	if (c->have_bs)
		bindscan_close(&c->bs);
	memset(c, 0, sizeof(*c));
}

static enum eph_sort sort_by;

static int cmp_dest(const void *a, const void *b)
{
	const struct eph_dest *x = a, *y = b;

	switch (sort_by) {
	case EPH_SORT_SOCKETS:
		if (x->sockets != y->sockets)
			return x->sockets < y->sockets ? 1 : -1;
		break;
	case EPH_SORT_NEW:
		if (x->new_ps != y->new_ps)
			return x->new_ps < y->new_ps ? 1 : -1;
		break;
	case EPH_SORT_PORT:
		if (x->rport != y->rport)
			return x->rport - y->rport;
		break;
	case EPH_SORT_USED:
		break;
	}
	if (x->used != y->used)
		return x->used < y->used ? 1 : -1;
	if (x->sockets != y->sockets)
		return x->sockets < y->sockets ? 1 : -1;
	return x->rport - y->rport;
}

void ephview_sort(struct eph_view *v, enum eph_sort k)
{
	sort_by = k;
	qsort(v->d, v->n, sizeof(*v->d), cmp_dest);
}

int parse_eph_sort(const char *s, void *field)
{
	static const char *const names[] = { "used", "sockets", "new", "port" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*(int *)field = (int)i;
			return 0;
		}
	pr_warn("invalid --sort '%s': use used, sockets, new or port\n", s);
	return -EINVAL;
}

const char *eph_eta(const struct eph_dest *d, char *buf, size_t len)
{
	double s = d->eta_s;

	if (!d->free)
		snprintf(buf, len, "now");
	else if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
	else if (s < 86400 * 2)
		snprintf(buf, len, "%.1fh", s / 3600);
	else
		snprintf(buf, len, ">2d");
	return buf;
}

void eph_processes(const struct eph_dest *d, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = 0;
	for (i = 0; i < d->nowners && i < EPH_OWNERS && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%d %s (%u)", i ? ", " : "", d->owner[i].pid,
				d->owner[i].comm, d->owner[i].n);
	if (d->nowners > EPH_OWNERS && off < len)
		snprintf(buf + off, len - off, " +%u", d->nowners - EPH_OWNERS);
	if (!d->nowners)
		snprintf(buf, len, "-");
}
