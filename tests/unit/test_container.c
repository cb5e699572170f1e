// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Containers from cgroup paths, as each runtime writes them: a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lib/container.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char *path;
	int found;
	const char *runtime, *id, *name, *pod, *cri, *unit, *shrt;
} cases[] = {
	/* Docker, cgroupfs and systemd drivers */
	{ "/docker/" ID, 1, "docker", ID, "", "", "", "", "docker:0123456789ab" },
	{ "/system.slice/docker-" ID ".scope", 1, "docker", ID, "", "", "docker", "docker-" ID ".scope",
	  "docker:0123456789ab" },
	/* Kubernetes: systemd driver (containerd, CRI-O), cgroupfs driver */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_0000_1111_2222_333344445555.slice/cri-containerd-" ID ".scope",
	  1, "kubernetes", ID, "", "1a2b3c4d-0000-1111-2222-333344445555", "containerd",
	  "cri-containerd-" ID ".scope", "k8s:pod1a2b3c4d/0123456789ab" },
	{ "/kubepods.slice/kubepods-pod99999999_aaaa.slice/crio-" ID ".scope", 1, "kubernetes", ID, "",
	  "99999999-aaaa", "crio", "crio-" ID ".scope", "k8s:pod99999999/0123456789ab" },
	{ "/kubepods/besteffort/pod1a2b3c4d-0000-1111-2222-333344445555/" ID, 1, "kubernetes", ID, "",
	  "1a2b3c4d-0000-1111-2222-333344445555", "", "", "k8s:pod1a2b3c4d/0123456789ab" },
	/* Podman, systemd-nspawn (escaped name), LXC */
	{ "/machine.slice/libpod-" ID ".scope/container", 1, "podman", ID, "", "", "", "libpod-" ID ".scope",
	  "podman:0123456789ab" },
	{ "/machine.slice/machine-web\\x2d1.scope/payload", 1, "machine", "", "web-1", "", "", "machine-web-1.scope", "machine:web-1" },
	{ "/lxc.payload.c1/init.scope", 1, "lxc", "", "c1", "", "", "", "lxc:c1" },
	{ "/lxc/c2", 1, "lxc", "", "c2", "", "", "", "lxc:c2" },
	/* a systemd unit, not a container */
	{ "/system.slice/nginx.service", 1, "systemd", "", "", "", "", "nginx.service", "nginx.service" },
	{ "/user.slice/user-0.slice/session-3.scope", 1, "systemd", "", "", "", "", "session-3.scope",
	  "session-3.scope" },
	/* nothing */
	{ "/", 0 },
	{ "/process_api/658228b059c16256770657b065e783f4", 0 },
	{ "/docker", 0 },
	{ "/docker/0123", 0 },
	{ "/system.slice/docker-" ID "x.scope", 1, "systemd", "", "", "", "", "docker-" ID "x.scope" },
};

static void parse_table(void **state)
{
	struct container c;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int found = container_parse(cases[i].path, &c);

		if (found != cases[i].found)
			fail_msg("%s: found %d", cases[i].path, found);
		if (!found)
			continue;
		assert_string_equal(c.runtime, cases[i].runtime);
		assert_string_equal(c.id, cases[i].id);
		assert_string_equal(c.name, cases[i].name);
		assert_string_equal(c.pod_uid, cases[i].pod);
		assert_string_equal(c.cri, cases[i].cri);
		assert_string_equal(c.unit, cases[i].unit);
		assert_string_equal(c.cgroup, cases[i].path);
		if (cases[i].shrt)
			assert_string_equal(container_short(&c, buf, sizeof(buf)), cases[i].shrt);
	}
}

/* The JSON object: the fields known, and the cgroup. */
static void json_fields(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct container c;
	json_writer_t w;

	(void)state;
	container_parse("/kubepods/besteffort/pod1a2b3c4d-0000-1111-2222-333344445555/" ID, &c);
	jsonw_init(&w, f);
	container_json(&w, NULL, &c);
	fclose(f);
	assert_string_equal(buf, "{\"runtime\":\"kubernetes\",\"id\":\"" ID "\",\"pod_uid\":\"1a2b3c4d-0000-1111-2222-"
				 "333344445555\",\"cgroup\":\"/kubepods/besteffort/pod1a2b3c4d-0000-1111-2222-"
				 "333344445555/" ID "\"}");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_table),
		cmocka_unit_test(json_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
