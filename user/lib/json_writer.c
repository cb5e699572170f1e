// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <math.h>
#include "lib/json_writer.h"

/* Length of the valid UTF-8 sequence at s, or 0. */
static int utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void json_escape(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	int n;

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			fprintf(f, "\\u%04x", *s++);	/* a stray byte, as Latin-1 */
		}
	}
	fputc('"', f);
}

void jsonw_init(json_writer_t *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->first[0] = 1;
	w->named = 0;
}

/* Before a value or a name: the comma that separates it from the last. */
static void sep(json_writer_t *w)
{
	if (w->named) {
		w->named = 0;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->out);
	w->first[w->depth] = 0;
}

static void open_level(json_writer_t *w, char c)
{
	sep(w);
	fputc(c, w->out);
	if (w->depth < JSONW_MAX_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = 1;
}

static void close_level(json_writer_t *w, char c)
{
	fputc(c, w->out);
	if (w->depth > 0)
		w->depth--;
}

void jsonw_start_object(json_writer_t *w) { open_level(w, '{'); }
void jsonw_end_object(json_writer_t *w) { close_level(w, '}'); }
void jsonw_start_array(json_writer_t *w) { open_level(w, '['); }
void jsonw_end_array(json_writer_t *w) { close_level(w, ']'); }

void jsonw_newline(json_writer_t *w)
{
	fputc('\n', w->out);
	fflush(w->out);
	w->first[0] = 1;
}

void jsonw_name(json_writer_t *w, const char *name)
{
	sep(w);
	json_escape(w->out, name);
	fputc(':', w->out);
	w->named = 1;
}

void jsonw_string(json_writer_t *w, const char *s)
{
	sep(w);
	json_escape(w->out, s);
}

void jsonw_uint(json_writer_t *w, uint64_t v)
{
	sep(w);
	fprintf(w->out, "%" PRIu64, v);
}

void jsonw_int(json_writer_t *w, int64_t v)
{
	sep(w);
	fprintf(w->out, "%" PRId64, v);
}

void jsonw_bool(json_writer_t *w, int v)
{
	sep(w);
	fputs(v ? "true" : "false", w->out);
}

void jsonw_null(json_writer_t *w)
{
	sep(w);
	fputs("null", w->out);
}

void jsonw_float(json_writer_t *w, const char *fmt, double v)
{
	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	sep(w);
	fprintf(w->out, fmt, v);
}

void jsonw_string_field(json_writer_t *w, const char *name, const char *s)
{
	jsonw_name(w, name);
	jsonw_string(w, s);
}

void jsonw_uint_field(json_writer_t *w, const char *name, uint64_t v)
{
	jsonw_name(w, name);
	jsonw_uint(w, v);
}

void jsonw_int_field(json_writer_t *w, const char *name, int64_t v)
{
	jsonw_name(w, name);
	jsonw_int(w, v);
}

void jsonw_bool_field(json_writer_t *w, const char *name, int v)
{
	jsonw_name(w, name);
	jsonw_bool(w, v);
}

void jsonw_null_field(json_writer_t *w, const char *name)
{
	jsonw_name(w, name);
	jsonw_null(w);
}

void jsonw_float_field(json_writer_t *w, const char *name, const char *fmt, double v)
{
	jsonw_name(w, name);
	jsonw_float(w, fmt, v);
}
