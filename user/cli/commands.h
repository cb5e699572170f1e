/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The commands, one table each (lib/params.h); main.c lists them. */
#ifndef PS_COMMANDS_H
#define PS_COMMANDS_H

#include "lib/params.h"

extern const struct cmd cmd_top, cmd_flows, cmd_metrics, cmd_attach, cmd_detach, cmd_status,
	cmd_cleanup, cmd_groups, cmd_steer, cmd_steer_off, cmd_steer_status, cmd_replay, cmd_demo,
	cmd_conflicts, cmd_ephemeral;

#endif
