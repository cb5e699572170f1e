/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Views of a snapshot: a text table and JSON. */
#ifndef PS_RENDER_H
#define PS_RENDER_H

#include <stdio.h>
#include "maps.h"

struct render_opts {
	int flows;		/* also print the 5-tuple table */
	size_t top;		/* at most this many flows; 0: all */
};

void render_text(FILE *f, const struct snapshot *s, const struct render_opts *o);
void render_json(FILE *f, const struct snapshot *s, const struct render_opts *o);
/* "reasons":{…},"flow_table":{…} — shared by replay's and top's JSON. */
void render_json_reasons(FILE *f, const struct snapshot *s);

#endif
