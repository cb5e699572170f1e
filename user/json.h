/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PS_JSON_H
#define PS_JSON_H

#include <stdio.h>

/* A JSON string: quotes, \" \\ and control bytes escaped; bytes that are
 * not valid UTF-8 become \u00XX so any process name stays valid JSON. */
void json_str(FILE *f, const char *s);

#endif
