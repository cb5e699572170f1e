/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The ephemeral view as a text table and as JSON lines. */
#ifndef PS_RENDER_EPH_H
#define PS_RENDER_EPH_H

#include <stdio.h>
#include "sockets/ephemeral.h"

/* top: rows shown (0: all) */
void eph_text(FILE *f, const struct eph_view *v, size_t top);
void eph_json(FILE *f, const struct eph_view *v, size_t top);
/* "range 40000-40099: 100 usable (50 even, 50 odd), 0 reserved; held by bind() …" */
void eph_header(const struct eph_view *v, char *buf, size_t len);
/* One row's columns after PROTO LOCAL REMOTE, as the text table prints them. */
void eph_row(const struct eph_dest *d, char *buf, size_t len);
extern const char eph_columns[];

#endif
