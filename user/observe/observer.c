// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/loadlog.h"
#include "lib/log.h"
#include "observe/observer.h"

int probe_xdp_frags(void)
{
	struct bpf_insn prog[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 2 },	/* r0 = XDP_PASS */
		{ .code = 0x95 },				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = BPF_F_XDP_HAS_FRAGS);
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", prog, 2, &opts);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int fill_port_filter(struct observe_bpf *skel, const uint16_t *ports, size_t n)
{
	int fd = bpf_map__fd(skel->maps.port_filter);
	__u64 bits;
	__u32 word;
	size_t i;

	for (i = 0; i < n; i++) {
		word = ports[i] / 64;
		if (bpf_map_lookup_elem(fd, &word, &bits))
			return -errno;
		bits |= 1ULL << (ports[i] % 64);
		if (bpf_map_update_elem(fd, &word, &bits, BPF_ANY))
			return -errno;
	}
	return 0;
}

int observer_load(struct observer *ob, const struct observer_opts *o)
{
	uint32_t entries = o->flow_entries ? o->flow_entries : PS_FLOWS_DEFAULT;
	struct observe_bpf *skel;
	const char *force;
	int err, inplace;

	memset(ob, 0, sizeof(*ob));
	skel = observe_bpf__open();
	if (!skel) {
		err = -errno;
		pr_warn("cannot open the XDP observer: %s\n", strerror(-err));
		return err;
	}
	skel->rodata->filter_ports = o->ports != NULL;
	skel->rodata->track_flows = !o->no_flows;
	skel->rodata->replay_meta = !!o->replay;
	err = bpf_map__set_max_entries(skel->maps.flows, entries);
	if (err)
		goto fail;
	/* one of two programs (bpf/parse.bpf.h): bpf_xdp_load_bytes, or not
	 * (PS_OBSERVE_PROG=observe_inplace forces it for tests) */
	force = getenv("PS_OBSERVE_PROG");
	inplace = o->inplace || (force && !strcmp(force, "observe_inplace")) ||
		  libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes, NULL) <= 0;
	ob->prog = inplace ? skel->progs.observe_inplace : skel->progs.observe;
	bpf_program__set_autoload(inplace ? skel->progs.observe : skel->progs.observe_inplace, false);
	/* multi-buffer frames (jumbo, GRO on veth) need the flag, 5.18+ (as
	 * bpf_xdp_load_bytes: the in-place program never has it) */
	ob->has_frags = !inplace && probe_xdp_frags();
	if (ob->has_frags)
		bpf_program__set_flags(ob->prog, bpf_program__flags(ob->prog) | BPF_F_XDP_HAS_FRAGS);
	loadlog_begin();
	err = observe_bpf__load(skel);
	loadlog_end(err, "the XDP observer");
	if (err)
		goto fail;
	err = fill_port_filter(skel, o->ports, o->ports ? o->nports : 0);
	if (err) {
		pr_warn("cannot set the port filter: %s\n", strerror(-err));
		goto fail;
	}
	pr_info("observer loaded: %u flow entries, %s\n", entries,
		ob->has_frags ? "multi-buffer frames counted whole" : "no multi-buffer support");
	ob->skel = skel;
	return 0;
fail:
	observe_bpf__destroy(skel);
	return err;
}

void observer_destroy(struct observer *ob)
{
	observe_bpf__destroy(ob->skel);
	ob->skel = NULL;
}
