/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Strict command-line number parsing: whole string, range-checked. */
#ifndef PS_PARSE_ARG_H
#define PS_PARSE_ARG_H

#include <stdint.h>
#include <linux/types.h>

/* 0, or -EINVAL / -ERANGE with a one-line message naming `what` on stderr. */
int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out);
int parse_port(const char *s, uint16_t *out);
/* Seconds, decimals allowed ("0.5"), or "2s", "250ms"; within [min, max]. */
int parse_seconds(const char *s, const char *what, double min, double max, double *out);
/* "tcp"/"udp" -> IPPROTO_*; -EINVAL with a message otherwise. */
int parse_proto(const char *s, __u8 *proto);

#endif
