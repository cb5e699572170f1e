/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The reference classifier for the differential test: plain C over a byte
 * array with explicit offsets, written from the rules in include/portscope.h
 * and docs, independently of bpf/parse.bpf.h.
 */
#ifndef PS_REFPARSE_H
#define PS_REFPARSE_H

#include <stddef.h>
#include <stdint.h>
#include "portscope.h"

struct ref_result {
	int cls;			/* a class of enum ps_reason */
	int event;			/* an event reason, or PS_R_MAX */
	struct ps_flow_key key;		/* meaningful when cls == PS_R_PARSED_OK */
	uint8_t tcp_flags;
};

void ref_parse(const uint8_t *p, size_t len, struct ref_result *r);
/* As replay gives it: len bytes captured of a frame of wire bytes; tso:
 * an IPv4 tot_len of 0 is bounded by the wire length. */
void ref_parse_wire(const uint8_t *p, size_t len, size_t wire, int tso, struct ref_result *r);

#endif
