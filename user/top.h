/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The live views: per-port (top) and per-flow (flows). */
#ifndef PS_TOP_H
#define PS_TOP_H

#include "attach.h"
#include "portview.h"

/* One batch-mode snapshot, as 'top --batch' prints it. */
void top_print_text(const struct port_view *v, const struct live *l);

int cmd_top(int argc, char **argv);
int cmd_flows(int argc, char **argv);

#endif
