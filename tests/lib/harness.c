// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "observe/replay.h"
#include <bpf/libbpf.h>

int harness_can_run(void)
{
	return geteuid() == 0;
}

int harness_open(struct harness *h, const struct observer_opts *o)
{
	int err;

	memset(h, 0, sizeof(*h));
	err = observer_load(&h->ob, o);
	if (err)
		return err;
	h->fds.ports = bpf_map__fd(h->ob.skel->maps.ports);
	h->fds.flows = bpf_map__fd(h->ob.skel->maps.flows);
	h->fds.reasons = bpf_map__fd(h->ob.skel->maps.reasons);
	return 0;
}

void harness_close(struct harness *h)
{
	observer_destroy(&h->ob);
}

/* Which reason counters moved since the last run. */
static void diff_reasons(struct harness *h, const struct snapshot *s, struct observed *out)
{
	int r, nclass = 0, nevent = 0;

	out->cls = -1;
	out->event = PS_R_MAX;
	for (r = 0; r < PS_R_MAX; r++) {
		__u64 d = s->reasons[r] - h->reasons[r];

		h->reasons[r] = s->reasons[r];
		if (!d)
			continue;
		if (r == PS_R_FLOW_NEW)
			out->flow_new = d;
		else if (r == PS_R_FLOW_INSERT_FAIL)
			out->flow_fail = d;
		else if (reason_is_class(r))
			out->cls = nclass++ || d != 1 ? -1 : r;
		else
			out->event = nevent++ || d != 1 ? -1 : r;
	}
}

static int read_reasons(struct harness *h, struct observed *out)
{
	struct snapshot s;
	int err = reasons_read(h->fds.reasons, s.reasons);

	if (!err)
		diff_reasons(h, &s, out);
	return err;
}

/* The frame through the program, with h->wire as its wire length if set. */
static int run_frame(struct harness *h, const void *frame, size_t len)
{
	int fd = bpf_program__fd(h->ob.prog);

	return h->wire ? replay_frame_wire(fd, frame, len, h->wire) : replay_frame(fd, frame, len);
}

int harness_run_key(struct harness *h, const void *frame, size_t len,
		    const struct ps_flow_key *key, struct observed *out)
{
	struct ps_port_key pk = { .port = key->dport, .proto = key->proto };
	int ncpus = libbpf_num_possible_cpus(), err, c;
	struct ps_port_stats pcpu[ncpus];

	memset(out, 0, sizeof(*out));
	out->verdict = run_frame(h, frame, len);
	err = read_reasons(h, out);
	if (err)
		return err;
	if (!bpf_map_lookup_elem(h->fds.flows, key, &out->flow.st)) {
		out->flow.key = *key;
		out->nflows = 1;
		bpf_map_delete_elem(h->fds.flows, key);
	}
	if (!bpf_map_lookup_elem(h->fds.ports, &pk, pcpu)) {
		out->port.key = pk;
		for (c = 0; c < ncpus; c++) {
			out->port.st.packets += pcpu[c].packets;
			out->port.st.bytes += pcpu[c].bytes;
		}
		out->nports = 1;
		bpf_map_delete_elem(h->fds.ports, &pk);
	}
	return 0;
}

static void clear_rows(struct harness *h, const struct snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nports; i++)
		bpf_map_delete_elem(h->fds.ports, &s->ports[i].key);
	for (i = 0; i < s->nflows; i++)
		bpf_map_delete_elem(h->fds.flows, &s->flows[i].key);
}

int harness_run(struct harness *h, const void *frame, size_t len, struct observed *out)
{
	struct snapshot s;
	int err;

	memset(out, 0, sizeof(*out));
	out->verdict = run_frame(h, frame, len);
	err = snapshot_read(&h->fds, &s);
	if (err)
		return err;
	diff_reasons(h, &s, out);
	out->nports = s.nports;
	out->nflows = s.nflows;
	if (s.nports)
		out->port = s.ports[0];
	if (s.nflows)
		out->flow = s.flows[0];
	clear_rows(h, &s);
	snapshot_free(&s);
	return 0;
}

int harness_clear(struct harness *h)
{
	struct snapshot s;
	int err = snapshot_read(&h->fds, &s);

	if (err)
		return err;
	clear_rows(h, &s);
	memcpy(h->reasons, s.reasons, sizeof(h->reasons));
	snapshot_free(&s);
	return 0;
}
