// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "trace/bindscan.h"
#include "conflicts.h"
#include "bindscan.skel.h"

int bindscan_open(struct bindscan *b)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->skel = bindscan_bpf__open_and_load();
	if (!b->skel)
		return -errno;
	b->link = bpf_program__attach_iter(b->skel->progs.bindscan, NULL);
	if (!b->link) {
		err = -errno;
		bindscan_close(b);
		return err;
	}
	return 0;
}

int bindscan_read(struct bindscan *b, __u64 held[1024])
{
	struct ps_bind_rec r[256];
	ssize_t got;
	size_t i;
	int fd;

	memset(held, 0, 1024 * sizeof(*held));
	fd = bpf_iter_create(bpf_link__fd(b->link));
	if (fd < 0)
		return -errno;
	while ((got = read(fd, r, sizeof(r))) > 0)
		for (i = 0; i < (size_t)got / sizeof(r[0]); i++)
			if (r[i].fastreuse >= 0 || r[i].fastreuseport >= 0)
				held[r[i].lport / 64] |= 1ULL << (r[i].lport % 64);
	close(fd);
	return got < 0 ? -errno : 0;
}

void bindscan_close(struct bindscan *b)
{
	bpf_link__destroy(b->link);
	bindscan_bpf__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}
