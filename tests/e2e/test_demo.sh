#!/usr/bin/env bash
# The demo: a 20-second run ends with 0 failed connections and every
# worker's own count equal to portscope's counters; nothing is left behind
# (namespaces, programs, pins, processes), also after a SIGTERM midway; a
# second run works right after that.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ip bpftool

DIR=
DEMO=	# the pid of a demo run in the background

setup() { DIR=$(mktemp -d); }
teardown() {
	# a demo stopped early: SIGTERM is its clean stop (it removes its lab)
	[ -z "$DEMO" ] || { kill -TERM "$DEMO"; wait "$DEMO"; }
	[ -z "$DIR" ] || rm -rf "$DIR"
}

nothing_left() {
	! ip netns list | grep -q '^ps-demo-' &&
		! ls /sys/fs/bpf/portscope >/dev/null 2>&1 &&
		! running 'lab-(worker|udp|9090|client)' &&
		! bpftool prog show 2>/dev/null | grep -qE 'name (observe|steer|track_state) '
}

t_full_run() {
	local st
	"$PS" demo --no-tui --duration 20 >"$DIR/run1" 2>&1
	st=$?
	sed -n '/^portscope demo:/,$p' "$DIR/run1"
	[ "$st" -eq 0 ] || tail -5 "$DIR/run1"
	check "demo exits 0" test "$st" -eq 0
	check "observer attached natively to the server's veth" grep -q 'observer on eth0 (native)' "$DIR/run1"
	check "timeline: weighted, drain, stop and join" bash -c \
		"grep -q 'steering weighted 3:2:1' '$DIR/run1' && grep -q 'draining worker' '$DIR/run1' && grep -q 'new worker .* joined' '$DIR/run1'"
	check "0 failed connections of many" bash -c \
		"grep -E '^  all ' '$DIR/run1' | awk '{exit !(\$3 > 2000 && \$NF == 0)}'"
	check "each worker's own count = portscope's counters" python3 - "$DIR/run1" <<'PY'
import re, sys
rows = [l.split() for l in open(sys.argv[1]) if re.match(r"^  \d+ ", l)]
assert len(rows) >= 4, rows
for r in rows:
    nums = [int(x) for x in r if x.isdigit()][1:]
    own, ps = nums[0], nums[1]
    assert own == ps and own > 0, r
PY
	check "summary says OK" grep -q '^  OK: 0 failed connections' "$DIR/run1"
	check "nothing left behind" nothing_left
}

# a run stopped by SIGTERM midway cleans up, and the next run works
t_sigterm_midway() {
	local i st
	"$PS" demo --no-tui --duration 30 >"$DIR/run2" 2>&1 &
	DEMO=$!
	for i in $(seq 100); do grep -q 'steering weighted' "$DIR/run2" && break; sleep 0.2; done
	kill -TERM "$DEMO"
	wait "$DEMO"
	st=$?
	DEMO=
	check "SIGTERM midway: exits (status $st) and says so" grep -q 'interrupted' "$DIR/run2"
	check "nothing left behind after SIGTERM" nothing_left

	"$PS" demo --no-tui --duration 10 >"$DIR/run3" 2>&1
	check "a second run right after works" grep -q '^  OK: 0 failed' "$DIR/run3"
	check "nothing left behind" nothing_left
}

t_bad_workers() {
	"$PS" demo --duration 5 --workers 99 >/dev/null 2>"$DIR/bad"
	check "bad --workers: exit 2, one line" bash -c "[ $? -eq 2 ] && [ \$(wc -l <'$DIR/bad') -eq 1 ]"
}

run_tests
