/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus series of the client side, bounded: conflicts by call, errno,
 * protocol and port (ports in ip_local_port_range folded into one
 * "ephemeral" label), and ephemeral use for the top N destinations plus
 * the host-wide maximum ratio an alert can watch.
 */
#ifndef PS_PROM_CLIENT_H
#define PS_PROM_CLIENT_H

#include <stdio.h>
#include "sockets/ephemeral.h"
#include "trace/tracer.h"

void prom_conflicts(FILE *f, const struct conflict_count *c, size_t n, const __u64 reasons[PS_C_MAX],
		    __u16 lo, __u16 hi);
/* v sorted by use; top destinations get series (0: none) */
void prom_ephemeral(FILE *f, const struct eph_view *v, size_t top);

#endif
