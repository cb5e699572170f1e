/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names and addresses as every view prints them. */
#ifndef PS_FMT_H
#define PS_FMT_H

#include <stddef.h>
#include <linux/types.h>

const char *proto_name(__u8 proto);
/* "1.2.3.4" or "2001:db8::1" (family 4 or 6); buf of at least 46 bytes. */
const char *fmt_addr(const __u32 addr[4], __u8 family, char *buf, size_t len);
/* "1.2.3.4:80" or "[2001:db8::1]:80"; buf of at least 54 bytes. */
const char *fmt_endpoint(const __u32 addr[4], __u8 family, __u16 port, char *buf, size_t len);
/* tcpdump's letters: F S R P . U E W; buf of at least 9 bytes. */
const char *fmt_tcp_flags(__u32 flags, char *buf);
/* AF_INET/AF_INET6 -> 4/6 */
static inline __u8 family_version(__u8 af) { return af == 10 ? 6 : 4; }

#endif
