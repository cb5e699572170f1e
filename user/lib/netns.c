// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include "lib/caps.h"
#include "lib/log.h"
#include "lib/netns.h"

/* The calling thread's namespace: /proc/self is the thread group's leader. */
#define NETNS_SELF "/proc/thread-self/ns/net"

__u64 netns_self(void)
{
	struct stat st;

	return stat(NETNS_SELF, &st) ? 0 : st.st_ino;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* What an argument names: a path as it is, a pid's namespace, or a name
 * under /run/netns, then /run/docker/netns. -EINVAL after one line. */
static int netns_path(const char *arg, char *path, size_t len)
{
	struct stat st;

	if (strchr(arg, '/')) {
		snprintf(path, len, "%s", arg);
		return 0;
	}
	if (all_digits(arg)) {
		snprintf(path, len, "/proc/%s", arg);
		if (strlen(arg) > 9 || stat(path, &st)) {
			pr_warn("invalid --netns %s: no process %s\n", arg, arg);
			return -EINVAL;
		}
		snprintf(path, len, "/proc/%s/ns/net", arg);
		return 0;
	}
	if (!*arg || !strcmp(arg, ".") || !strcmp(arg, "..") || strlen(arg) > NAME_MAX) {
		pr_warn("invalid --netns '%s': not a name, a path or a pid\n", arg);
		return -EINVAL;
	}
	snprintf(path, len, NETNS_RUN "/%s", arg);
	if (!access(path, F_OK))
		return 0;
	snprintf(path, len, NETNS_DOCKER "/%s", arg);
	if (!access(path, F_OK))
		return 0;
	pr_warn("invalid --netns %s: no network namespace of that name (under " NETNS_RUN " or " NETNS_DOCKER ")\n",
		arg);
	return -EINVAL;
}

/* An open nsfs file of a network namespace, or -EINVAL after one line. */
static int open_netns(const char *arg, const char *path, __u64 *ino)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), type;

	if (fd < 0) {
		pr_warn("invalid --netns %s: %s: %s\n", arg, path, strerror(errno));
		return -EINVAL;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET || fstat(fd, &st)) {
		pr_warn("invalid --netns %s: %s is not a network namespace\n", arg, path);
		close(fd);
		return -EINVAL;
	}
	*ino = st.st_ino;
	return fd;
}

int parse_netns(const char *arg, void *field)
{
	struct netns_sel *sel = field;
	int fd;

	if (netns_path(arg, sel->path, sizeof(sel->path)))
		return -EINVAL;
	fd = open_netns(arg, sel->path, &sel->ino);
	if (fd < 0)
		return -EINVAL;
	sel->spec = arg;
	sel->fd = fd;
	return 0;
}

int netns_check(const struct netns_sel *sel, int all, int flags)
{
	if (sel->spec && all && !(flags & NETNS_FROM)) {
		pr_warn("--netns and --all-netns: choose one\n");
		return -EINVAL;
	}
	if (all && (flags & NETNS_VISITS) && require_caps(NEED_SYS_ADMIN))
		return -EPERM;
	if (sel->spec && sel->ino != netns_self() && require_caps(NEED_SYS_ADMIN))
		return -EPERM;
	return 0;
}

int netns_enter(const struct netns_sel *sel)
{
	if (!sel->spec || sel->ino == netns_self())
		return 0;
	if (setns(sel->fd, CLONE_NEWNET)) {
		pr_warn("cannot enter network namespace %s: %s\n", sel->spec, strerror(errno));
		return -EPERM;
	}
	pr_info("in network namespace %s (net:%llu)\n", sel->spec, (unsigned long long)sel->ino);
	return 0;
}

int netns_choose(const struct netns_sel *sel, int all, int flags)
{
	return netns_check(sel, all, flags) ?: netns_enter(sel);
}

/* ---- every namespace ------------------------------------------------------ */

static struct netns_entry *find_or_add(struct netns_list *l, size_t *cap, __u64 ino, int *added)
{
	struct netns_entry *e;
	size_t i;

	*added = 0;
	for (i = l->n; i-- > 0;)	/* most processes share the last few */
		if (l->v[i].ino == ino)
			return &l->v[i];
	if (l->n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		void *v = realloc(l->v, c * sizeof(*l->v));

		if (!v)
			return NULL;
		l->v = v;
		*cap = c;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	*added = 1;
	return e;
}

/* Every process's namespace: "net:[4026531840]" */
static int scan_procs(struct netns_list *l, size_t *cap)
{
	char path[64], link[64];
	unsigned long long ino;
	struct netns_entry *e;
	struct dirent *de;
	DIR *d = opendir("/proc");
	ssize_t r;
	int added;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/ns/net", de->d_name);
		r = readlink(path, link, sizeof(link) - 1);
		if (r <= 0)
			continue;
		link[r] = 0;
		if (sscanf(link, "net:[%llu]", &ino) != 1)
			continue;
		e = find_or_add(l, cap, ino, &added);
		if (!e) {
			closedir(d);
			return -ENOMEM;
		}
		if (added) {
			e->pid = atoi(de->d_name);
			snprintf(e->path, sizeof(e->path), "%s", path);
		}
	}
	closedir(d);
	return 0;
}

/* The bind mounts of a directory (ip netns, Docker) name namespaces. */
static int scan_named(struct netns_list *l, size_t *cap, const char *dir, dev_t nsfs)
{
	char path[sizeof(l->v->path)];
	struct netns_entry *e;
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int added;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(e->name) ||
		    snprintf(path, sizeof(path), "%s/%.63s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) || st.st_dev != nsfs)
			continue;	/* not mounted (a namespace deleted half-way) */
		e = find_or_add(l, cap, st.st_ino, &added);
		if (!e) {
			closedir(d);
			return -ENOMEM;
		}
		if (!e->name[0])
			snprintf(e->name, sizeof(e->name), "%s", de->d_name);
		snprintf(e->path, sizeof(e->path), "%s", path);	/* stable, unlike a pid */
	}
	if (d)
		closedir(d);
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct netns_entry *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int list(struct netns_list *l, int procs)
{
	__u64 self = netns_self();
	struct stat st;
	size_t cap = 0, i;
	int err;

	memset(l, 0, sizeof(*l));
	if (stat(NETNS_SELF, &st))
		return -errno;
	err = procs ? scan_procs(l, &cap) : 0;
	err = err ?: scan_named(l, &cap, NETNS_RUN, st.st_dev);
	err = err ?: scan_named(l, &cap, NETNS_DOCKER, st.st_dev);
	if (err) {
		netns_list_free(l);
		return err;
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	for (i = 0; i < l->n; i++)
		l->v[i].self = l->v[i].ino == self;
	return 0;
}

int netns_list_all(struct netns_list *l)
{
	return list(l, 1);
}

int netns_list_names(struct netns_list *l)
{
	return list(l, 0);
}

void netns_list_free(struct netns_list *l)
{
	free(l->v);
	free(l->addrs);
	memset(l, 0, sizeof(*l));
}

const struct netns_entry *netns_find(const struct netns_list *l, __u64 ino)
{
	struct netns_entry key = { .ino = ino };

	return l->n ? bsearch(&key, l->v, l->n, sizeof(key), cmp_entry) : NULL;
}

int netns_visit(const struct netns_entry *e, int (*fn)(void *ctx), void *ctx)
{
	int home, fd, err;

	if (e->self)
		return fn(ctx);
	fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;	/* its last process exited, or it was deleted */
	home = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	if (home < 0 || setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(fd);
		if (home >= 0)
			close(home);
		return err;
	}
	close(fd);
	err = fn(ctx);
	if (setns(home, CLONE_NEWNET)) {
		/* cannot happen (we were there): working on in the wrong one cannot be allowed */
		pr_warn("cannot return to the network namespace portscope works in: %s\n", strerror(errno));
		abort();
	}
	close(home);
	return err;
}

/* ---- addresses -------------------------------------------------------------- */

struct addr_ctx {
	struct netns_list *l;
	size_t cap;
	__u32 idx;
};

static int add_addr(struct addr_ctx *c, const struct sockaddr *sa)
{
	struct netns_addr *a;

	if (c->l->naddrs == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		void *v = realloc(c->l->addrs, cap * sizeof(*a));

		if (!v)
			return -ENOMEM;
		c->l->addrs = v;
		c->cap = cap;
	}
	a = &c->l->addrs[c->l->naddrs++];
	memset(a, 0, sizeof(*a));
	a->idx = c->idx;
	if (sa->sa_family == AF_INET) {
		a->family = 4;
		memcpy(a->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		a->family = 6;
		memcpy(a->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	return 0;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

static int collect_addrs(void *ctx)
{
	struct addr_ctx *c = ctx;
	struct ifaddrs *ifa, *i;
	int err = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && !err; i = i->ifa_next)
		if (i->ifa_addr && (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6) &&
		    !is_loopback(i->ifa_addr))
			err = add_addr(c, i->ifa_addr);
	freeifaddrs(ifa);
	return err;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct netns_addr *x = a, *y = b;
	int d = x->family != y->family ? x->family - y->family : memcmp(x->addr, y->addr, sizeof(x->addr));

	return d ? d : (int)x->idx - (int)y->idx;
}

int netns_list_addrs(struct netns_list *l)
{
	struct addr_ctx c = { .l = l };
	int err;

	for (c.idx = 0; c.idx < l->n; c.idx++) {
		err = netns_visit(&l->v[c.idx], collect_addrs, &c);
		if (err && err != -ENOENT)
			return err;
	}
	if (l->naddrs)
		qsort(l->addrs, l->naddrs, sizeof(*l->addrs), cmp_addr);
	return 0;
}

const struct netns_entry *netns_of_addr(const struct netns_list *l, __u8 family, const __u32 addr[4])
{
	size_t lo = 0, hi = l->naddrs, mid, first;
	struct netns_addr key = { .family = family };

	memcpy(key.addr, addr, family == 4 ? 4 : 16);
	while (lo < hi) {	/* the first entry of this address */
		mid = (lo + hi) / 2;
		if (cmp_addr(&l->addrs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (first = lo; lo < l->naddrs && l->addrs[lo].family == family &&
			 !memcmp(l->addrs[lo].addr, key.addr, sizeof(key.addr)); lo++)
		if (l->v[l->addrs[lo].idx].self)
			return &l->v[l->addrs[lo].idx];
	return first < lo ? &l->v[l->addrs[first].idx] : NULL;
}

const char *netns_label(const struct netns_entry *e, char *buf, size_t len)
{
	if (e && e->name[0])
		snprintf(buf, len, "%s", e->name);
	else if (e)
		snprintf(buf, len, "net:%llu", (unsigned long long)e->ino);
	else
		snprintf(buf, len, "?");
	return buf;
}

void netns_json(json_writer_t *w, const struct netns_entry *e, __u64 ino)
{
	jsonw_name(w, "netns");
	jsonw_start_object(w);
	jsonw_uint_field(w, "inode", ino);
	jsonw_name(w, "name");
	if (e && e->name[0])
		jsonw_string(w, e->name);
	else
		jsonw_null(w);
	jsonw_end_object(w);
}
