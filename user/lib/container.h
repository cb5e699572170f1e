/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The container a process runs in, read from its cgroup path the way the
 * runtimes write it (no runtime is asked):
 *   /docker/ID, /system.slice/docker-ID.scope               Docker
 *   /kubepods/QOS/podUID/ID, /kubepods.slice/…-podUID.slice/cri-containerd-ID.scope
 *                                                          Kubernetes (containerd, CRI-O, Docker)
 *   /machine.slice/libpod-ID.scope                          Podman
 *   /machine.slice/machine-NAME.scope                       systemd-nspawn, libvirt
 *   /lxc.payload.NAME, /lxc/NAME                            LXC
 *   /system.slice/UNIT.service                              a systemd unit
 * Docker's name comes from /var/lib/docker/containers/ID/config.v2.json
 * when the engine keeps its state there.
 */
#ifndef PS_CONTAINER_H
#define PS_CONTAINER_H

#include <sys/types.h>
#include "lib/json_writer.h"

struct container {
	char runtime[16];	/* docker, kubernetes, podman, machine, lxc, systemd */
	char id[72];		/* container id (hex), or "" */
	char name[64];		/* docker's or the machine's name, or "" */
	char pod_uid[40];	/* kubernetes */
	char cri[16];		/* kubernetes: containerd, crio, docker */
	char unit[128];		/* the systemd unit (scope or service), or "" */
	char cgroup[256];	/* the cgroup path it was read from */
};

/* 1 and *c when pid's cgroup names a container or a unit; 0 when not (or
 * the process is gone). */
int container_of(pid_t pid, struct container *c);
/* Parse one cgroup path (exposed for tests): 1 when it names one. */
int container_parse(const char *path, struct container *c);
/* Short, for text: "docker:web", "k8s:pod1a2b3c4d/0123456789ab",
 * "machine:c3", "nginx.service". */
const char *container_short(const struct container *c, char *buf, size_t len);
/* As a JSON object (under `name`, or as a value when NULL): the fields
 * known, and the cgroup. */
void container_json(json_writer_t *w, const char *name, const struct container *c);

#endif
