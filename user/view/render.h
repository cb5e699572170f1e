/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Views of a snapshot: a text table and JSON. */
#ifndef PS_RENDER_H
#define PS_RENDER_H

#include <stdio.h>
#include "lib/json_writer.h"
#include "observe/maps.h"

struct replay_stats;

struct render_opts {
	int flows;		/* also print the 5-tuple table */
	size_t top;		/* at most this many flows; 0: all */
	const struct replay_stats *capture;	/* replay: what the capture held */
};

void render_text(FILE *f, const struct snapshot *s, const struct render_opts *o);
void render_json(FILE *f, const struct snapshot *s, const struct render_opts *o);
/* "reasons":{…},"flow_table":{…} — shared by replay's and top's JSON. */
void render_json_reasons(json_writer_t *w, const struct snapshot *s);
/* "flow_table":{entries, capacity, inserts, evicted, insert_failed} */
void render_json_flow_table(json_writer_t *w, const struct snapshot *s);
/* packets, bytes, syn, synack, fin, rst as fields of an open object */
void render_json_port_stats(json_writer_t *w, const struct ps_port_stats *st);
/* A flow's key, packets, bytes and flags as fields of an open object. */
void render_json_flow(json_writer_t *w, const struct flow_row *r);

#endif
