// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Port conflicts: every bind(), listen() and connect() that fails with
 * EADDRINUSE, EADDRNOTAVAIL, or EACCES on a privileged port, reported with
 * who asked, for what, and the socket's own settings.
 *
 * Hooks: the syscalls/sys_exit_{bind,listen,connect} tracepoints, a stable
 * ABI (unlike kprobes on inet_csk_get_port or __inet_hash_connect, which
 * move between kernels). Only the exits: the return value is checked first,
 * so a succeeding call costs one comparison, and there is no per-thread
 * state to leak when a thread dies inside a call. The arguments are read
 * back from the task's saved user registers (bpf_task_pt_regs), the
 * sockaddr from user memory, the socket through the fd table (CO-RE).
 *
 * Each failing call is counted in `counts` by (op, errno, proto, family,
 * port) — exact even when the ring buffer is full — and sent as one event;
 * what the program did with each is counted by reason.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "defs.bpf.h"
#include "conflicts.h"

#define EACCES		13
#define EADDRINUSE	98
#define EADDRNOTAVAIL	99
#define S_IFMT		00170000
#define S_IFSOCK	0140000

/* Set by the loader between open and load: the network namespace (inode)
 * to report, 0 for all. */
const volatile __u32 netns_only = 0;
/* Count only (metrics): no events. */
const volatile __u8 counts_only = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} creasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PS_CONFLICT_KEYS);
	__type(key, struct ps_conflict_key);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void count(enum ps_conflict_reason r)
{
	percpu_inc(&creasons, r);
}

/* Wake the reader at most every WAKE_NS: a lone conflict reaches it at
 * once, a storm in batches (it also reads every 100 ms), so the failing
 * callers are not each preempted by it. */
#define WAKE_NS 10000000ULL
__u64 last_wake_ns;

static __always_inline __u64 wake_flag(__u64 now)
{
	if (now - last_wake_ns < WAKE_NS)
		return BPF_RB_NO_WAKEUP;
	last_wake_ns = now;	/* a race between CPUs wakes it twice: harmless */
	return BPF_RB_FORCE_WAKEUP;
}

/* The socket behind fd in the current task's table, or NULL; its inode. */
static __always_inline struct sock *fd_sock(struct task_struct *task, __u32 fd, __u32 *ino)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **arr;
	struct file *f = NULL;
	struct socket *so;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	arr = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	*ino = BPF_CORE_READ(f, f_inode, i_ino);
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/* The socket's family, protocol, owner, local address and options. */
static __always_inline void read_sock(struct ps_conflict_event *e, struct sock *sk)
{
	struct sock_common *c = &sk->__sk_common;

	e->flags |= PS_EV_SOCKET;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6 ? 6 : 4;
	e->proto = BPF_CORE_READ(sk, sk_protocol);
	e->sk_uid = BPF_CORE_READ(sk, sk_uid.val);
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->bound_dev_if = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	if (e->family == 6)
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
	else
		e->laddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	if (BPF_CORE_READ_BITFIELD_PROBED(c, skc_reuse))
		e->flags |= PS_EV_REUSE;
	if (BPF_CORE_READ_BITFIELD_PROBED(c, skc_reuseport))
		e->flags |= PS_EV_REUSEPORT;
	if (BPF_CORE_READ_BITFIELD_PROBED(c, skc_ipv6only))
		e->flags |= PS_EV_V6ONLY;
	e->prot_sock = BPF_CORE_READ(sk, __sk_common.skc_net.net, ipv4.sysctl_ip_prot_sock);
}

/* The sockaddr asked for (bind, connect), in constant-size reads: 16 bytes
 * hold an AF_INET one and the family; an AF_INET6 one is 24 or 28. */
static __always_inline void read_sockaddr(struct ps_conflict_event *e, const void *uaddr, __u64 len)
{
	struct sockaddr_in6 sa = {};

	if (!uaddr || len < 16 || bpf_probe_read_user(&sa, 16, uaddr))
		return;
	if (sa.sin6_family == AF_INET6) {
		if (len < 24 || bpf_probe_read_user(&sa, 24, uaddr))
			return;
		__builtin_memcpy(e->addr, &sa.sin6_addr, 16);
	} else {
		/* AF_INET, or AF_UNSPEC read as AF_INET (the kernel does) */
		e->addr[0] = ((struct sockaddr_in *)&sa)->sin_addr.s_addr;
	}
	e->port = bpf_ntohs(sa.sin6_port);	/* same offset in both */
	e->flags |= PS_EV_ADDR;
	if (!(e->flags & PS_EV_SOCKET))
		e->family = sa.sin6_family == AF_INET6 ? 6 : 4;
}

static __always_inline void count_key(const struct ps_conflict_event *e)
{
	struct ps_conflict_key k = {};
	__u64 one = 1, *v;

	k.op = e->op;
	k.err = e->err;
	k.proto = e->proto;
	k.family = e->family;
	k.port = e->port;
	v = bpf_map_lookup_elem(&counts, &k);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (!bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST))
		return;
	v = bpf_map_lookup_elem(&counts, &k);	/* another CPU inserted it first */
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		count(PS_C_KEYS_FULL);
}

/* A failing call's errno is one of ours: the rest of the work. */
static __always_inline int report(__u32 err, __u8 op)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct ps_conflict_event e = {};
	__u64 id = bpf_get_current_pid_tgid(), ug = bpf_get_current_uid_gid();
	struct sock *sk;

	e.op = op;
	e.err = err;
	e.fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	sk = fd_sock(task, e.fd, &e.inode);
	if (sk) {
		if (BPF_CORE_READ(sk, __sk_common.skc_family) != AF_INET &&
		    BPF_CORE_READ(sk, __sk_common.skc_family) != AF_INET6) {
			count(PS_C_NOT_INET);
			return 0;
		}
		read_sock(&e, sk);
		e.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	} else {
		e.netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
		e.prot_sock = BPF_CORE_READ(task, nsproxy, net_ns, ipv4.sysctl_ip_prot_sock);
	}
	if (netns_only && e.netns != netns_only) {
		count(PS_C_OTHER_NETNS);
		return 0;
	}
	if (op == PS_OP_LISTEN) {
		__builtin_memcpy(e.addr, e.laddr, sizeof(e.addr));
		e.port = e.lport;
	} else {
		read_sockaddr(&e, (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs),
			      PT_REGS_PARM3_CORE_SYSCALL(regs));
	}
	/* EACCES is a port reason only below the privileged limit */
	if (err == EACCES && (!(e.flags & PS_EV_ADDR) || e.port == 0 || e.port >= e.prot_sock)) {
		count(PS_C_NOT_PORT);
		return 0;
	}
	if (!sk)
		count(PS_C_NO_SOCKET);
	e.ts_ns = bpf_ktime_get_ns();
	e.cgroup_id = bpf_get_current_cgroup_id();
	e.pid = id >> 32;
	e.tid = (__u32)id;
	e.uid = (__u32)ug;
	e.gid = ug >> 32;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	count_key(&e);
	if (counts_only)
		count(PS_C_COUNTED);
	else if (bpf_ringbuf_output(&events, &e, sizeof(e), wake_flag(e.ts_ns)))
		count(PS_C_RINGBUF_FULL);
	else
		count(PS_C_EVENTS);
	return 0;
}

/* The errnos of a port: anything else (success included) returns here. */
static __always_inline int on_exit(long ret, __u8 op)
{
	if (ret == -EADDRINUSE || ret == -EADDRNOTAVAIL)
		return report(-ret, op);
	if (ret == -EACCES && op == PS_OP_BIND)
		return report(EACCES, op);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx->ret, PS_OP_BIND);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx->ret, PS_OP_LISTEN);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx->ret, PS_OP_CONNECT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
