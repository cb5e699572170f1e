// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "lib/netns.h"
#include "sockets/sockets.h"

struct dump_ctx {
	__u8 proto;
	__u64 netns;
	struct sock_info *v;
	size_t n, cap;
	int err;
};

/* IPV6_V6ONLY rides as an attribute (every IPv6 socket has it). */
static int on_attr(const struct nlattr *a, void *data)
{
	struct sock_info *s = data;

	if (mnl_attr_get_type(a) == INET_DIAG_SKV6ONLY && mnl_attr_get_payload_len(a) >= 1)
		s->v6only = *(const __u8 *)mnl_attr_get_payload(a);
	return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct dump_ctx *c = data;
	struct sock_info *s;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		void *v = realloc(c->v, cap * sizeof(*c->v));

		if (!v) {
			c->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		c->v = v;
		c->cap = cap;
	}
	s = &c->v[c->n++];
	memset(s, 0, sizeof(*s));
	s->proto = c->proto;
	s->netns = c->netns;
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	memcpy(s->addr, m->id.idiag_src, sizeof(s->addr));
	memcpy(s->raddr, m->id.idiag_dst, sizeof(s->raddr));
	s->port = ntohs(m->id.idiag_sport);
	s->rport = ntohs(m->id.idiag_dport);
	s->ifindex = m->id.idiag_if;
	s->cookie = (__u64)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	s->inode = m->idiag_inode;
	s->uid = m->idiag_uid;
	mnl_attr_parse(nlh, sizeof(*m), on_attr, s);
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	return MNL_CB_OK;
}

static int dump_one(struct mnl_socket *nl, __u8 family, __u8 proto, __u32 states,
		    struct dump_ctx *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_diag_req_v2 *r;
	struct nlmsghdr *nlh;
	unsigned seq = time(NULL) ^ (family << 8 | proto);
	ssize_t len;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = family;
	r->sdiag_protocol = proto;
	r->idiag_states = states;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	c->proto = proto;
	do {
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, len, seq, mnl_socket_get_portid(nl), on_msg, c);
	} while (ret > MNL_CB_STOP);
	if (c->err)
		return c->err;
	/* a kernel without UDP diag answers ENOENT: no sockets of that kind */
	return ret < 0 && errno != ENOENT ? -errno : 0;
}

int sockets_dump(__u8 proto, __u32 states, struct sock_info **out, size_t *n)
{
	struct dump_ctx c = { .netns = netns_self() };
	struct mnl_socket *nl;
	int err;

	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	err = dump_one(nl, AF_INET, proto, states, &c);
	if (!err)
		err = dump_one(nl, AF_INET6, proto, states, &c);
	mnl_socket_close(nl);
	if (err) {
		free(c.v);
		return err;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

/* ---- holders ------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid ? 1 : x->fd - y->fd;
}

static int wanted(const __u32 *sorted, size_t n, __u32 inode)
{
	return n && bsearch(&inode, sorted, n, sizeof(*sorted), cmp_u32) != NULL;
}

static int push(struct owners *o, size_t *cap, const struct holder *h)
{
	if (o->n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *v = realloc(o->h, c * sizeof(*o->h));

		if (!v)
			return -ENOMEM;
		o->h = v;
		*cap = c;
	}
	o->h[o->n++] = *h;
	return 0;
}

static void read_comm(pid_t pid, char comm[16])
{
	char path[64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	comm[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	r = read(fd, comm, 15);
	close(fd);
	if (r > 0 && comm[r - 1] == '\n')
		r--;
	comm[r > 0 ? r : 0] = 0;
}

/* Inodes watched by the epoll instance at /proc/PID/fdinfo/FD: mark them. */
static void mark_epoll(pid_t pid, int epfd, struct holder *h, size_t n)
{
	char path[64], line[256];
	unsigned long ino;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, epfd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " ino:");

		if (strncmp(line, "tfd:", 4) || !p || sscanf(p + 5, "%lx", &ino) != 1)
			continue;
		for (i = 0; i < n; i++)
			if (h[i].inode == ino)
				h[i].serving = 1;
	}
	fclose(f);
}

/* Threads blocked in accept(2)/accept4(2) on one of these fds: mark them. */
static void mark_accepting(pid_t pid, struct holder *h, size_t n)
{
	char path[64], line[128];
	struct dirent *de;
	long nr, fd;
	size_t i;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/syscall", pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) && sscanf(line, "%ld %lx", &nr, &fd) == 2 &&
		    (nr == 43 /* accept */ || nr == 288 /* accept4 */))
			for (i = 0; i < n; i++)
				if (h[i].fd == fd)
					h[i].serving = 1;
		fclose(f);
	}
	closedir(d);
}

/* One process: its fds holding wanted sockets, and which of them it serves. */
static int scan_pid(struct owners *o, size_t *cap, pid_t pid, const __u32 *inodes, size_t n)
{
	char path[64], link[64];
	int epfds[64], nep = 0, i, err = 0;
	size_t first = o->n;
	struct dirent *de;
	struct holder h;
	unsigned long ino;
	ssize_t r;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;	/* gone, or not ours to see */
	while ((de = readdir(d)) && !err) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%.16s", pid, de->d_name);
		r = readlink(path, link, sizeof(link) - 1);
		if (r <= 0)
			continue;
		link[r] = 0;
		if (!strcmp(link, "anon_inode:[eventpoll]")) {
			if (nep < 64)
				epfds[nep++] = atoi(de->d_name);
			continue;
		}
		if (sscanf(link, "socket:[%lu]", &ino) != 1 || !wanted(inodes, n, ino))
			continue;
		memset(&h, 0, sizeof(h));
		h.inode = ino;
		h.pid = pid;
		h.fd = atoi(de->d_name);
		err = push(o, cap, &h);
	}
	closedir(d);
	if (err || o->n == first)
		return err;
	for (size_t k = first; k < o->n; k++)
		read_comm(pid, o->h[k].comm);
	for (i = 0; i < nep; i++)
		mark_epoll(pid, epfds[i], o->h + first, o->n - first);
	mark_accepting(pid, o->h + first, o->n - first);
	return 0;
}

int owners_scan(struct owners *o, const __u32 *inodes, size_t n)
{
	__u32 *sorted = NULL;
	size_t cap = 0, i, j;
	struct dirent *de;
	int err = 0, any;
	DIR *d;

	memset(o, 0, sizeof(*o));
	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, inodes, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_u32);
	}
	d = opendir("/proc");
	if (!d) {
		free(sorted);
		return -errno;
	}
	while ((de = readdir(d)) && !err)
		if (isdigit((unsigned char)de->d_name[0]))
			err = scan_pid(o, &cap, atoi(de->d_name), sorted, n);
	closedir(d);
	free(sorted);
	if (err) {
		owners_free(o);
		return err;
	}
	if (o->n)
		qsort(o->h, o->n, sizeof(*o->h), cmp_holder);
	/* a socket nobody was seen serving, held by one process: that one */
	for (i = 0; i < o->n; i = j) {
		any = 0;
		for (j = i; j < o->n && o->h[j].inode == o->h[i].inode; j++)
			any |= o->h[j].serving;
		if (!any && o->h[j - 1].pid == o->h[i].pid)
			for (size_t k = i; k < j; k++)
				o->h[k].serving = 1;
	}
	return 0;
}

const struct holder *owners_of(const struct owners *o, __u32 inode, size_t *count)
{
	size_t lo = 0, hi = o->n, mid, end;

	while (lo < hi) {	/* first holder with this inode */
		mid = (lo + hi) / 2;
		if (o->h[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < o->n && o->h[end].inode == inode; end++)
		;
	*count = end - lo;
	return *count ? &o->h[lo] : NULL;
}

void owners_free(struct owners *o)
{
	free(o->h);
	memset(o, 0, sizeof(*o));
}
