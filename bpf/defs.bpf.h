/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UAPI constants that vmlinux.h (BTF types only) does not carry: defined once. */
#ifndef PS_DEFS_BPF_H
#define PS_DEFS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_ZLEN	60	/* a minimum frame, FCS excluded */
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_P_IPV6	0x86DD

#define AF_INET		2
#define AF_INET6	10

#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF

/* IPPROTO_* for IPv6 extension headers; the rest are enum values in vmlinux.h */
#define NEXTHDR_HOP	0
#define NEXTHDR_ROUTING	43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH	51
#define NEXTHDR_NONE	59
#define NEXTHDR_DEST	60
#define NEXTHDR_ICMP	58

#define EEXIST		17

/*
 * Two 32-bit words (a, then b in memory) written as one 8-byte store, for
 * keys and addresses on the stack. Debian 12's 6.1 verifier, without
 * CAP_PERFMON, tracks a 4-byte store of a known-range value at an 8-aligned
 * offset as a spilled register, then refuses a 4-byte store into the slot's
 * other half ("attempt to corrupt spilled pointer on stack"); 6.3+ accept
 * it. An 8-byte store replaces the whole slot. barrier_var keeps the compiler
 * from merging the two loads behind a and b into one 8-byte load (refused
 * on context fields such as bpf_sock's dst_ip6[]).
 */
static __always_inline void put_words(__u32 *dst, __u32 a, __u32 b)
{
	__u64 lo = a, hi = b;

	barrier_var(hi);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	*(__u64 *)dst = hi << 32 | lo;
#else
	*(__u64 *)dst = lo << 32 | hi;
#endif
}

/* Two 16-bit fields as the 32-bit word they make in memory (first at the
 * lower address), and two bytes as such a 16-bit field. */
static __always_inline __u32 pair16(__u16 first, __u16 second)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u32)first | (__u32)second << 16;
#else
	return (__u32)first << 16 | second;
#endif
}

static __always_inline __u16 pair8(__u8 first, __u8 second)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u16)(first | second << 8);
#else
	return (__u16)(first << 8 | second);
#endif
}

/* A 32-bit map key in an 8-byte stack object, written whole (put_words). */
static __always_inline void *key32(__u64 *buf, __u32 key)
{
	put_words((__u32 *)buf, key, 0);
	return buf;
}

/* Add one to a per-CPU array counter (reason counters of both programs). */
static __always_inline void percpu_inc(void *map, __u32 key)
{
	__u64 kb;
	__u64 *v = bpf_map_lookup_elem(map, key32(&kb, key));

	if (v)
		*v += 1;
}

#endif /* PS_DEFS_BPF_H */
