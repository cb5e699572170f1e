/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The per-port view (top) as text snapshots and as JSON lines. */
#ifndef PS_RENDER_PORTS_H
#define PS_RENDER_PORTS_H

#include "observe/live.h"
#include "view/portview.h"

void ports_text(const struct port_view *v, const struct live *l);
void ports_json(const struct port_view *v, const struct live *l);

#endif
