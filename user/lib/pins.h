/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * portscope's pins: /sys/fs/bpf/portscope/ (directories 0700, files 0600:
 * flow tables expose every client's address).
 *   observe/            the XDP observer: maps, program, a link per interface
 *   steer/GROUP/        a steered SO_REUSEPORT group
 */
#ifndef PS_PINS_H
#define PS_PINS_H

#define PIN_ROOT "/sys/fs/bpf/portscope"
#define OBSERVE_PINS PIN_ROOT "/observe"
#define STEER_PINS PIN_ROOT "/steer"

/* The BPF filesystem on /sys/fs/bpf (mounted when missing, as bpftool
 * does) and `dir` below PIN_ROOT, private. */
int pins_prepare(const char *dir);
/* Pin an object under dir/name, mode 0600. */
int pin_fd(int fd, const char *dir, const char *name);
/* Remove dir's pins (unpinning a link detaches it unless an fd holds it),
 * then dir and its parents up to PIN_ROOT when they are empty. */
void pins_remove(const char *dir);

#endif
