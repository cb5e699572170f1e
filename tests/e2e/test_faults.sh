#!/usr/bin/env bash
# Loader faults: SIGKILL `steer`, `attach` and `top` at each step. strace
# delivers the signal on entering the Nth bpf(2) (or setsockopt, mkdir,
# pidfd_getfd) call of a run, so every step between "loaded" and "done" is a
# place to die. After each death:
#   steer:  the group is fully steered (round-robin is exact), or untouched
#           (served by the kernel's hash), or marked incomplete; `steer off` /
#           `cleanup` bring it back to the kernel's hash with nothing left.
#   attach: XDP is on the interface with its link pinned and listed, or not
#           on it at all; `cleanup` / `detach` leave nothing.
#   top -i: XDP is never left on the interface (bpf_link dies with its fd).
# make test kills at the steps that change state (loads, pins, links, map
# fills, the attach); FAULTS_FULL=1 (make soak) at every single call.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd strace ip nsenter python3 bpftool

CLI=$BUILD_DIR/tests/tools/rpclient
S=ps-fault-$$
DIR=$(mktemp -d)
FULL=${FAULTS_FULL:-0}
# make asan: LeakSanitizer cannot run under ptrace (strace); ASan still does
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# a lab namespace with a 3-worker SO_REUSEPORT group on 8080
setup() {
	lab_up "$S"
	NS_INODE=$(stat -L -c %i /run/netns/"$S")
	rpserver_in "$S" "$DIR/pids" -p 8080 -w 3 -d "$DIR"
}
teardown() {
	lab_down "$S"
	rm -rf /sys/fs/bpf/portscope/observe
	rmdir /sys/fs/bpf/portscope 2>/dev/null
	rm -rf "$DIR"
}

ps_() { nsenter --net=/run/netns/"$S" "$PS" "$@"; }
# our programs still loaded anywhere (freed asynchronously: poll)
ours_loaded() {
	local i
	for i in $(seq 30); do
		bpftool prog show 2>/dev/null | grep -qE "name (steer|steer_loops|track_state|observe) " || return 1
		sleep 0.1
	done
	return 0
}
xdp_on() { ip -n "$S" link show ve1 | grep -q 'xdp'; }
steering() { ps_ groups --port 8080 --json | python3 -c '
import json, sys
s = json.loads(sys.stdin.readline())["steering"]
print("none" if s is None else ("incomplete-attached" if s["attached"] else "incomplete")
      if s.get("incomplete") else s.get("policy", s["by"]))'; }

# killed_at ARGS...: portscope ARGS, SIGKILLed entering call number $nth of
# $call (a subshell, so that the shell's "Killed" goes nowhere)
killed_at() {
	(nsenter --net=/run/netns/"$S" strace -f -qq -o /dev/null -e trace="$call" \
		-e inject="$call":signal=SIGKILL:when="$nth" "$PS" "$@" >/dev/null 2>&1; true) 2>/dev/null
}

# points FILE SYSCALLS...: "syscall N" for each kill point of a traced run
points() {
	local log=$1
	python3 - "$log" "$FULL" <<'PY'
import re, sys, collections
log, full = sys.argv[1], sys.argv[2] == "1"
n = collections.Counter()
for line in open(log):
    m = re.match(r"\d+\s+(\w+)\((.*)", line)
    if not m:
        continue
    call, args = m.groups()
    n[call] += 1
    important = call != "bpf" or re.match(
        r"BPF_(PROG_LOAD|OBJ_PIN|LINK_CREATE|RAW_TRACEPOINT_OPEN|MAP_UPDATE_ELEM|MAP_CREATE)", args)
    if full or important:
        print(call, n[call])
print("bpf", n["bpf"] + 1)	# past the last call: the run completes
PY
}

# steer 8080 --policy round-robin, killed at each step
t_steer_killed() {
	local call nth state after summary k fails=0 runs=0
	local -A seen=()
	nsenter --net=/run/netns/"$S" strace -f -qq -o "$DIR/steer.log" \
		-e trace=bpf,setsockopt,mkdir,pidfd_getfd "$PS" steer 8080 --policy round-robin >/dev/null
	ps_ steer off 8080 >/dev/null
	points "$DIR/steer.log" >"$DIR/steer.points"
	while read -r call nth; do
		runs=$((runs + 1))
		killed_at steer 8080 --policy round-robin
		state=$(steering)
		seen[$state]=$((${seen[$state]:-0} + 1))
		case $state in
		round-robin)
			ip netns exec "$S" "$CLI" -a 127.0.0.1 -p 8080 -n 300 >"$DIR/c"
			awk 'NF == 2 && $2 != 100 {bad = 1} END {exit bad}' "$DIR/c" || {
				echo "    $call #$nth: steered, but not round-robin: $(tr '\n' ' ' <"$DIR/c")"
				fails=$((fails + 1))
			}
			ps_ steer off 8080 >/dev/null ;;
		none | incomplete*) ps_ cleanup >/dev/null ;;
		*) echo "    $call #$nth: state '$state'"; fails=$((fails + 1)); ps_ cleanup >/dev/null ;;
		esac
		after=$(steering)
		ip netns exec "$S" "$CLI" -a 127.0.0.1 -p 8080 -n 60 -q >"$DIR/c"
		if [ "$after" != none ] || ! grep -q '^ok 60 failed 0' "$DIR/c" ||
			ls /sys/fs/bpf/portscope/steer 2>/dev/null | grep -q "net$NS_INODE-" || ours_loaded; then
			echo "    $call #$nth: after '$state' and its remedy: '$after', $(cat "$DIR/c"), pins: $(ls /sys/fs/bpf/portscope/steer 2>/dev/null)"
			fails=$((fails + 1))
		fi
	done <"$DIR/steer.points"
	summary=$(for k in "${!seen[@]}"; do echo -n "$k ${seen[$k]}, "; done)
	check "steer killed at $runs steps: each left steered/untouched/incomplete, each restored (${summary%, })" \
		[ "$fails" -eq 0 ]
}

# attach -i ve1 --pin, killed at each step
t_attach_killed() {
	local call nth listed fails=0 runs=0 on=0 off=0
	nsenter --net=/run/netns/"$S" strace -f -qq -o "$DIR/attach.log" \
		-e trace=bpf,mkdir "$PS" attach -i ve1 --pin >/dev/null
	ps_ detach >/dev/null
	points "$DIR/attach.log" >"$DIR/attach.points"
	while read -r call nth; do
		runs=$((runs + 1))
		killed_at attach -i ve1 --pin
		listed=0
		ps_ status --json 2>/dev/null | grep -q '"ifname":"ve1"[^}]*"attached":true' && listed=1
		if xdp_on; then
			on=$((on + 1))
			[ "$listed" = 1 ] || { echo "    $call #$nth: XDP on ve1 but not listed"; fails=$((fails + 1)); }
			ps_ cleanup >/dev/null
			ps_ detach >/dev/null
		else
			off=$((off + 1))
			[ "$listed" = 0 ] || { echo "    $call #$nth: listed as attached but XDP not on ve1"; fails=$((fails + 1)); }
			ps_ cleanup >/dev/null
		fi
		if xdp_on || [ -e /sys/fs/bpf/portscope/observe ] || ours_loaded; then
			echo "    $call #$nth: left behind: xdp $(xdp_on && echo on), pins $(ls /sys/fs/bpf/portscope/observe 2>/dev/null | tr '\n' ' ')"
			fails=$((fails + 1))
			ps_ detach >/dev/null 2>&1; rm -rf /sys/fs/bpf/portscope/observe
		fi
	done <"$DIR/attach.points"
	check "attach killed at $runs steps: $on attached and listed, $off not attached; cleanup/detach left nothing" \
		[ "$fails" -eq 0 ]
}

# top -i ve1 (not pinned), killed at each step
t_top_killed() {
	local call nth fails=0 runs=0
	nsenter --net=/run/netns/"$S" strace -f -qq -o "$DIR/top.log" \
		-e trace=bpf "$PS" top -i ve1 --once --interval 0.1 >/dev/null
	points "$DIR/top.log" >"$DIR/top.points"
	while read -r call nth; do
		runs=$((runs + 1))
		killed_at top -i ve1 --once --interval 0.1
		if xdp_on || [ -e /sys/fs/bpf/portscope ] || ours_loaded; then
			echo "    $call #$nth: left behind"
			fails=$((fails + 1))
		fi
	done <"$DIR/top.points"
	check "top killed at $runs steps: XDP never left on ve1, nothing pinned or loaded" [ "$fails" -eq 0 ]
}

run_tests
