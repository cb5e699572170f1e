#!/usr/bin/env bash
# valgrind memcheck over the commands users leave running or script: replay,
# top --once (text and JSON), flows, groups, metrics, status, attach/detach,
# steer/status/off, in a namespace with a veth pair and a reuseport server.
# No invalid access, no use of uninitialised memory, no leak (definite,
# indirect or possible). (steer itself: under ASan, see below.) tests/valgrind.supp holds the two valgrind model
# gaps around bpf(2), with the reasons.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd valgrind ip nsenter
if grep -q __asan_init "$PS" 2>/dev/null; then
	# make asan: memcheck cannot run an AddressSanitizer binary (ASan checks it)
	skip_all "$PS is built with ASan"
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
S=ps-vg-$$
DIR=$(mktemp -d)

# a lab namespace with a 2-worker group on 8080
setup() {
	lab_up "$S"
	rpserver_in "$S" "$DIR/pids" -p 8080 -w 2 -d "$DIR"
}
teardown() {
	lab_down "$S"
	rm -rf "$DIR"
}
ps_() { nsenter --net=/run/netns/"$S" "$PS" "$@"; }

# vg NAME STATUS ARGS...: portscope ARGS under memcheck in the namespace,
# exiting STATUS (its own: 9 is memcheck's)
vg() {
	local name=$1 want=$2 st
	shift 2
	nsenter --net=/run/netns/"$S" valgrind -q --error-exitcode=9 --leak-check=full \
		--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
		--suppressions="$ROOT/tests/valgrind.supp" "$PS" "$@" >"$DIR/out" 2>"$DIR/vg"
	st=$?
	if [ "$st" -eq "$want" ]; then
		ok "valgrind clean: $name"
	else
		bad "valgrind: $name (exit $st)"
		grep -v 'WARNING: unhandled eBPF command' "$DIR/vg" | head -40 | sed 's/^/      /'
	fi
}

t_replay() {
	vg "replay a capture" 0 replay "$ROOT/tests/fuzz/corpus/replay/ethernet.pcap" --flows
	vg "replay a damaged capture (refused)" 2 replay "$ROOT/tests/fuzz/corpus/replay/truncated.pcap"
}

# commands that attach for their own run, and groups
t_unpinned() {
	vg "top -i ve1 --once" 0 top -i ve1 --once --interval 0.2
	vg "top -i ve1 --once --json" 0 top -i ve1 --once --json --interval 0.2
	vg "flows -i ve1" 0 flows -i ve1 --interval 0.2
	vg "metrics -i ve1" 0 metrics -i ve1
	vg "groups" 0 groups
}

t_pinned() {
	vg "attach -i ve1 --pin" 0 attach -i ve1 --pin
	vg "status" 0 status
	vg "top --once (pinned)" 0 top --once --batch --interval 0.2
	vg "detach" 0 detach
}

# valgrind 3.19 does not know pidfd_open(2): steer cannot borrow sockets
# under it (make asan runs the steering suites under ASan + UBSan instead)
t_steered() {
	ps_ steer 8080 --policy weighted >/dev/null
	vg "steer status --json (steered)" 0 steer status --json
	vg "groups --json (steered)" 0 groups --json
	ps_ steer off 8080 >/dev/null
}

t_bad_input() {
	vg "bad input" 2 top --port 0
}

run_tests
