/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A BPF object's load, explained when it fails. libbpf's messages are held
 * back while it loads (with -vv they go out as they come); on failure one
 * line says what failed and, when the verifier refused a program and
 * CAP_PERFMON is missing, that CAP_PERFMON would help (some kernels' checks
 * are stricter without it); -v adds the verifier's last lines.
 */
#ifndef PS_LOADLOG_H
#define PS_LOADLOG_H

void loadlog_begin(void);
/* err: the load's result (0 or -errno); what: "the XDP observer", … */
void loadlog_end(int err, const char *what);

#endif
