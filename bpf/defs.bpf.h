/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UAPI constants that vmlinux.h (BTF types only) does not carry: defined once. */
#ifndef PS_DEFS_BPF_H
#define PS_DEFS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define ETH_ALEN	6
#define ETH_HLEN	14
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

/* Add one to a per-CPU array counter (reason counters of both programs). */
static __always_inline void percpu_inc(void *map, __u32 key)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (v)
		*v += 1;
}

#endif /* PS_DEFS_BPF_H */
