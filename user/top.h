/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The live views: per-port (top) and per-flow (flows). */
#ifndef PS_TOP_H
#define PS_TOP_H

int cmd_top(int argc, char **argv);
int cmd_flows(int argc, char **argv);

#endif
