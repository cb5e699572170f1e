/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus exposition of one reading of the observer and the steering. */
#ifndef PS_PROM_H
#define PS_PROM_H

#include <stdio.h>
#include "observe/maps.h"

/* The whole exposition, from one reading of the maps; all_netns: the
 * listeners of every network namespace, port and steering series labelled
 * with the namespace (netns="c1") and the server's container. 0 or -errno. */
int prom_expose(FILE *f, const struct map_fds *fds, int all_netns);

#endif
