// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include "lib/fmt.h"

const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

const char *fmt_addr(const __u32 addr[4], __u8 family, char *buf, size_t len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *fmt_endpoint(const __u32 addr[4], __u8 family, __u16 port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	fmt_addr(addr, family, a, sizeof(a));
	snprintf(buf, len, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

const char *fmt_tcp_flags(__u32 flags, char *buf)
{
	static const char letters[] = "FSRP.UEW";	/* bit 0 … bit 7 */
	char *p = buf;
	int i;

	for (i = 0; i < 8; i++)
		if (flags & (1u << i))
			*p++ = letters[i];
	*p = 0;
	return buf;
}
