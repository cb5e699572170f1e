// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/container.h"

#define DOCKER_STATE "/var/lib/docker/containers"

/* A container id: 64 hex digits (Docker, containerd, CRI-O, Podman). */
static int is_id(const char *s, size_t len)
{
	size_t i;

	if (len != 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "PREFIX<id>SUFFIX" in component comp (len bytes): the id copied. */
static int prefixed_id(const char *comp, size_t len, const char *prefix, const char *suffix, char *id)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (len < pl + sl || strncmp(comp, prefix, pl) || strncmp(comp + len - sl, suffix, sl) ||
	    !is_id(comp + pl, len - pl - sl))
		return 0;
	memcpy(id, comp + pl, 64);
	id[64] = 0;
	return 1;
}

/* systemd's unit-name escaping: "\x2d" is '-'. */
static void unescape(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < len && o + 1 < cap; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && sscanf(s + i + 2, "%2x", &v) == 1) {
			out[o++] = (char)v;
			i += 3;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = 0;
}

/* The Kubernetes pod of a component: "pod<uid>" or "kubepods-<qos>-pod<uid_with_underscores>.slice". */
static void pod_of(const char *comp, size_t len, struct container *c)
{
	const char *p = NULL;
	size_t i, n;

	for (i = 0; i + 3 < len; i++)
		if (!strncmp(comp + i, "pod", 3) && (i == 0 || comp[i - 1] == '-'))
			p = comp + i + 3;
	if (!p)
		return;
	n = comp + len - p;
	if (n > 6 && !strncmp(p + n - 6, ".slice", 6))
		n -= 6;
	if (n >= sizeof(c->pod_uid) || n < 8)
		return;
	for (i = 0; i < n; i++)
		c->pod_uid[i] = p[i] == '_' ? '-' : p[i];
	c->pod_uid[n] = 0;
}

/* One path component against the runtimes' patterns; 1 when it is a container. */
static int match_comp(const char *comp, size_t len, const char *prev, size_t plen, struct container *c)
{
	static const struct { const char *prefix, *cri; } cri[] = {
		{ "cri-containerd-", "containerd" }, { "crio-", "crio" }, { "docker-", "docker" },
	};
	size_t i;

	for (i = 0; i < sizeof(cri) / sizeof(cri[0]); i++)
		if (prefixed_id(comp, len, cri[i].prefix, ".scope", c->id)) {
			snprintf(c->cri, sizeof(c->cri), "%s", cri[i].cri);
			snprintf(c->runtime, sizeof(c->runtime), "%s", c->pod_uid[0] ? "kubernetes" : cri[i].cri);
			return 1;
		}
	if (prefixed_id(comp, len, "libpod-", ".scope", c->id)) {
		snprintf(c->runtime, sizeof(c->runtime), "podman");
		return 1;
	}
	if (is_id(comp, len) && prev) {	/* cgroupfs drivers: /docker/ID, /kubepods/…/podUID/ID */
		memcpy(c->id, comp, 64);
		c->id[64] = 0;
		snprintf(c->runtime, sizeof(c->runtime), "%s",
			 c->pod_uid[0] ? "kubernetes" : plen == 6 && !strncmp(prev, "docker", 6) ? "docker" : "container");
		return 1;
	}
	if (len > 14 && !strncmp(comp, "machine-", 8) && !strncmp(comp + len - 6, ".scope", 6)) {
		unescape(comp + 8, len - 14, c->name, sizeof(c->name));
		snprintf(c->runtime, sizeof(c->runtime), "machine");
		return 1;
	}
	if ((len > 12 && !strncmp(comp, "lxc.payload.", 12)) || (prev && plen == 3 && !strncmp(prev, "lxc", 3))) {
		i = len > 12 && !strncmp(comp, "lxc.payload.", 12) ? 12 : 0;
		snprintf(c->name, sizeof(c->name), "%.*s", (int)(len - i), comp + i);
		snprintf(c->runtime, sizeof(c->runtime), "lxc");
		return 1;
	}
	return 0;
}

/* The last unit of a path: "nginx.service", "session-3.scope". */
static void unit_of(const char *comp, size_t len, struct container *c)
{
	if ((len > 8 && !strncmp(comp + len - 8, ".service", 8)) || (len > 6 && !strncmp(comp + len - 6, ".scope", 6)))
		unescape(comp, len, c->unit, sizeof(c->unit));
}

int container_parse(const char *path, struct container *c)
{
	const char *comp = path, *end, *prev = NULL;
	size_t len, plen = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->cgroup, sizeof(c->cgroup), "%s", path);
	while (*comp) {
		while (*comp == '/')
			comp++;
		end = strchr(comp, '/');
		len = end ? (size_t)(end - comp) : strlen(comp);
		if (!len)
			break;
		pod_of(comp, len, c);
		unit_of(comp, len, c);
		if (match_comp(comp, len, prev, plen, c))
			return 1;
		prev = comp;
		plen = len;
		comp += len;
	}
	if (!c->unit[0])
		return 0;
	snprintf(c->runtime, sizeof(c->runtime), "systemd");
	return 1;
}

/* Docker keeps each container's name in its state: "Name":"/web". */
static void docker_name(struct container *c)
{
	enum { MAX = 1 << 16 };
	char path[160], *buf, *p, *q;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), DOCKER_STATE "/%s/config.v2.json", c->id);
	f = fopen(path, "re");
	buf = f ? malloc(MAX) : NULL;
	if (buf) {
		n = fread(buf, 1, MAX - 1, f);
		buf[n] = 0;
		/* the top level's "Name"; a mount point's is not a path */
		p = strstr(buf, "\"Name\":\"/");
		q = p ? strchr(p + 9, '"') : NULL;
		if (q && q - (p + 9) < (long)sizeof(c->name))
			snprintf(c->name, sizeof(c->name), "%.*s", (int)(q - (p + 9)), p + 9);
	}
	free(buf);
	if (f)
		fclose(f);
}

/* The cgroup lines of a process: the unified hierarchy's first, then
 * systemd's (a hybrid host), then any other controller's. */
int container_of(pid_t pid, struct container *c)
{
	char path[64], line[512], best[3][300] = { "", "", "" };
	char *p;
	int rank, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		p = strchr(line, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || !strcmp(p + 1, "/"))
			continue;
		rank = !strncmp(line, "0::", 3) ? 0 : strstr(line, ":name=systemd:") ? 1 : 2;
		if (!best[rank][0])
			snprintf(best[rank], sizeof(best[rank]), "%s", p + 1);
	}
	fclose(f);
	for (i = 0; i < 3; i++)
		if (best[i][0] && container_parse(best[i], c)) {
			if (!strcmp(c->runtime, "docker") || !strcmp(c->cri, "docker"))
				docker_name(c);
			return 1;
		}
	return 0;
}

const char *container_short(const struct container *c, char *buf, size_t len)
{
	if (!strcmp(c->runtime, "kubernetes"))
		snprintf(buf, len, "k8s:pod%.8s/%.12s", c->pod_uid, c->id);
	else if (!strcmp(c->runtime, "systemd"))
		snprintf(buf, len, "%s", c->unit);
	else if (c->name[0])
		snprintf(buf, len, "%s:%s", c->runtime, c->name);
	else
		snprintf(buf, len, "%s:%.12s", c->runtime, c->id);
	return buf;
}

void container_json(json_writer_t *w, const char *name, const struct container *c)
{
	if (name)
		jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_string_field(w, "runtime", c->runtime);
	if (c->id[0])
		jsonw_string_field(w, "id", c->id);
	if (c->name[0])
		jsonw_string_field(w, "name", c->name);
	if (c->pod_uid[0])
		jsonw_string_field(w, "pod_uid", c->pod_uid);
	if (c->cri[0])
		jsonw_string_field(w, "cri", c->cri);
	if (c->unit[0])
		jsonw_string_field(w, "unit", c->unit);
	jsonw_string_field(w, "cgroup", c->cgroup);
	jsonw_end_object(w);
}
