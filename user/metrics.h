/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus exposition: stdout, HTTP (libmicrohttpd) or a textfile. */
#ifndef PS_METRICS_H
#define PS_METRICS_H

int cmd_metrics(int argc, char **argv);

#endif
