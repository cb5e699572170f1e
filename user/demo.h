/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* portscope demo: the lab in network namespaces. */
#ifndef PS_DEMO_H
#define PS_DEMO_H

int cmd_demo(int argc, char **argv);

#endif
