/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Ordering of rows, by the sort keys the views offer. */
#ifndef PS_MODEL_H
#define PS_MODEL_H

#include <stddef.h>
#include "observe/maps.h"

enum sort_key { SORT_PACKETS, SORT_BYTES, SORT_NEW, SORT_PORT };

void sort_ports(struct port_row *rows, size_t n, enum sort_key k);
void sort_flows(struct flow_row *rows, size_t n, enum sort_key k);
int parse_sort_key(const char *s, enum sort_key *k);

#endif
