/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one JSON writer (after bpftool's json_writer): objects and arrays
 * nest, commas and quotes are written for the caller, every string is
 * escaped. Output is compact: one document per line, as JSON lines.
 *
 *	jsonw_start_object(w);
 *	jsonw_string_field(w, "proto", "tcp");
 *	jsonw_uint_field(w, "port", 80);
 *	jsonw_end_object(w);		// {"proto":"tcp","port":80}
 */
#ifndef PS_JSON_WRITER_H
#define PS_JSON_WRITER_H

#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 16

typedef struct json_writer {
	FILE *out;
	int depth;
	int first[JSONW_MAX_DEPTH];	/* nothing written at this level yet */
	int named;			/* a name was just written: no comma */
} json_writer_t;

void jsonw_init(json_writer_t *w, FILE *out);

void jsonw_start_object(json_writer_t *w);
void jsonw_end_object(json_writer_t *w);
void jsonw_start_array(json_writer_t *w);
void jsonw_end_array(json_writer_t *w);
/* Ends a top-level document: "\n" and a flush. */
void jsonw_newline(json_writer_t *w);

void jsonw_name(json_writer_t *w, const char *name);
void jsonw_string(json_writer_t *w, const char *s);
void jsonw_uint(json_writer_t *w, uint64_t v);
void jsonw_int(json_writer_t *w, int64_t v);
void jsonw_bool(json_writer_t *w, int v);
void jsonw_null(json_writer_t *w);
/* A number printed with fmt ("%.1f"); NaN and infinities become null. */
void jsonw_float(json_writer_t *w, const char *fmt, double v);

/* name: value */
void jsonw_string_field(json_writer_t *w, const char *name, const char *s);
void jsonw_uint_field(json_writer_t *w, const char *name, uint64_t v);
void jsonw_int_field(json_writer_t *w, const char *name, int64_t v);
void jsonw_bool_field(json_writer_t *w, const char *name, int v);
void jsonw_null_field(json_writer_t *w, const char *name);
void jsonw_float_field(json_writer_t *w, const char *name, const char *fmt, double v);

/* A JSON string on its own: quotes, \" \\ and control bytes escaped;
 * bytes that are not valid UTF-8 become \u00XX. */
void json_escape(FILE *f, const char *s);

#endif
