// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which local TCP ports are closed to connect(): a port whose bind bucket
 * was made by bind() (or listen()) has fastreuse/fastreuseport >= 0, and
 * __inet_hash_connect() skips it for every destination; a bucket made by
 * connect() has both at -1 and is shared as long as the 4-tuple is unique.
 * The socket table (sock_diag) cannot tell the two apart once a socket
 * that bound first is connected; the bucket can.
 *
 * A TCP socket iterator (5.9+) over the caller's network namespace: one
 * record per socket (listening, established and TIME_WAIT tables).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "conflicts.h"

SEC("iter/tcp")
int bindscan(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct inet_bind_bucket *tb;
	struct ps_bind_rec r = {};

	if (!skc)
		return 0;
	r.state = BPF_CORE_READ(skc, skc_state);
	if (r.state == TCP_NEW_SYN_RECV)	/* a request: its port is the listener's */
		return 0;
	r.lport = BPF_CORE_READ(skc, skc_num);
	if (r.state == TCP_TIME_WAIT)
		tb = BPF_CORE_READ((struct inet_timewait_sock *)skc, tw_tb);
	else
		tb = BPF_CORE_READ((struct inet_connection_sock *)skc, icsk_bind_hash);
	if (!tb)
		return 0;
	r.fastreuse = BPF_CORE_READ(tb, fastreuse);
	r.fastreuseport = BPF_CORE_READ(tb, fastreuseport);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
