// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "view/model.h"
#include "lib/fmt.h"

static enum sort_key cur_key;

static int cmp_u64_desc(__u64 a, __u64 b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_port(const void *pa, const void *pb)
{
	const struct port_row *a = pa, *b = pb;
	int c = 0;

	switch (cur_key) {
	case SORT_PACKETS: c = cmp_u64_desc(a->st.packets, b->st.packets); break;
	case SORT_BYTES: c = cmp_u64_desc(a->st.bytes, b->st.bytes); break;
	case SORT_NEW: c = cmp_u64_desc(a->st.syn, b->st.syn); break;
	case SORT_PORT: break;
	}
	if (!c)
		c = (int)a->key.port - (int)b->key.port;
	return c ? c : (int)a->key.proto - (int)b->key.proto;
}

static int cmp_flow(const void *pa, const void *pb)
{
	const struct flow_row *a = pa, *b = pb;
	int c = 0;

	switch (cur_key) {
	case SORT_PACKETS: c = cmp_u64_desc(a->st.packets, b->st.packets); break;
	case SORT_BYTES: c = cmp_u64_desc(a->st.bytes, b->st.bytes); break;
	case SORT_NEW: c = cmp_u64_desc(a->st.first_ns, b->st.first_ns); break;
	case SORT_PORT: break;
	}
	if (!c)
		c = (int)a->key.dport - (int)b->key.dport;
	return c ? c : memcmp(&a->key, &b->key, sizeof(a->key));
}

void sort_ports(struct port_row *rows, size_t n, enum sort_key k)
{
	cur_key = k;
	qsort(rows, n, sizeof(*rows), cmp_port);
}

void sort_flows(struct flow_row *rows, size_t n, enum sort_key k)
{
	cur_key = k;
	qsort(rows, n, sizeof(*rows), cmp_flow);
}

int parse_sort_key(const char *s, enum sort_key *k)
{
	static const char *const names[] = { "pkts", "bytes", "new", "port" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*k = i;
			return 0;
		}
	return -1;
}
