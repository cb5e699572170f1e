/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus exposition: stdout, HTTP (libmicrohttpd) or a textfile. */
#ifndef PS_METRICS_H
#define PS_METRICS_H

#include <sys/socket.h>

int cmd_metrics(int argc, char **argv);
/* --listen ADDR:PORT (IPv6 in brackets); a non-loopback address only with
 * public_ok. 0, or -EINVAL / -EPERM after one line. */
int parse_listen(const char *s, struct sockaddr_storage *ss, int public_ok);

#endif
