/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the views share: ordering of rows and the formatting of their fields. */
#ifndef PS_MODEL_H
#define PS_MODEL_H

#include <stddef.h>
#include "maps.h"

enum sort_key { SORT_PACKETS, SORT_BYTES, SORT_NEW, SORT_PORT };

void sort_ports(struct port_row *rows, size_t n, enum sort_key k);
void sort_flows(struct flow_row *rows, size_t n, enum sort_key k);
int parse_sort_key(const char *s, enum sort_key *k);

const char *proto_name(__u8 proto);
/* "1.2.3.4" or "2001:db8::1"; buf of at least 46 bytes. */
const char *fmt_addr(const __u32 addr[4], __u8 family, char *buf, size_t len);
/* "1.2.3.4:80" or "[2001:db8::1]:80"; buf of at least 54 bytes. */
const char *fmt_endpoint(const __u32 addr[4], __u8 family, __u16 port, char *buf, size_t len);
/* tcpdump's letters: F S R P . U E W; buf of at least 9 bytes. */
const char *fmt_tcp_flags(__u32 flags, char *buf);

/* Flow-table fill: entries now, inserts since load and what LRU evicted. */
__u64 flows_evicted(const struct snapshot *s);

#endif
