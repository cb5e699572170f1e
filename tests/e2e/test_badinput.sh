#!/usr/bin/env bash
# Bad input, every subcommand, one table: each row gives one line on stderr,
# exit 2, nothing on stdout, and changes nothing (checked after the table: no
# XDP program, no pins, the server group still on the kernel's hash and
# serving). Runs in a namespace of its own with a live SO_REUSEPORT group,
# so that rows about pids and weights meet a real group.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ip nsenter python3

CLI=$BUILD_DIR/tests/tools/rpclient
S=ps-bad-$$
DIR=$(mktemp -d)

NOSOCK=

# a lab namespace with a 2-worker group on 8080, a process without sockets,
# captures
setup() {
	lab_up "$S"
	NS_INODE=$(stat -L -c %i /run/netns/"$S")
	sleep 300 &	# a process with no socket at all
	NOSOCK=$!
	python3 - "$DIR" <<'PY' || return
import struct, sys
d = sys.argv[1]
hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
open(f"{d}/trunc.pcap", "wb").write(hdr + struct.pack("<IIII", 1, 0, 60, 60) + b"\0" * 20)
open(f"{d}/header-only.pcap", "wb").write(hdr[:10])
open(f"{d}/text", "w").write("not a capture\n")
open(f"{d}/empty", "w").close()
PY
	rpserver_in "$S" "$DIR/pids" -p 8080 -w 2 -d "$DIR" || return
	W1=$(sed -n 1p "$DIR/pids") W2=$(sed -n 2p "$DIR/pids")
}
teardown() {
	[ -z "$NOSOCK" ] || kill "$NOSOCK"
	lab_down "$S"
	rm -rf "$DIR"
}

# row NAME ARGS...: exit 2, exactly one stderr line, empty stdout
row() {
	local name=$1 st
	shift
	nsenter --net=/run/netns/"$S" "$PS" "$@" >"$DIR/out" 2>"$DIR/err" </dev/null
	st=$?
	if [ "$st" -eq 2 ] && [ "$(wc -l <"$DIR/err")" -eq 1 ] && [ ! -s "$DIR/out" ]; then
		ok "$name: $(cat "$DIR/err")"
	else
		bad "$name: exit $st, $(wc -l <"$DIR/err") stderr lines, $(wc -c <"$DIR/out") stdout bytes: $(head -c 200 "$DIR/err")"
	fi
}

# ports, in every command that takes one
t_ports() {
	local p
	for p in 0 65536 -1 abc '' 80x ' 80' 0x50 99999999999999999999; do
		row "top --port '$p'" top -i ve1 --once --port "$p"
		row "flows --port '$p'" flows -i ve1 --port "$p"
		row "attach --port '$p'" attach -i ve1 --port "$p"
		row "groups --port '$p'" groups --port "$p"
		row "steer '$p'" steer "$p"
		row "steer off '$p'" steer off "$p"
		row "replay --port '$p'" replay "$DIR/trunc.pcap" --port "$p"
		row "metrics --listen 127.0.0.1:'$p'" metrics --listen "127.0.0.1:$p"
	done
}

t_interfaces() {
	local i
	for i in nosuch '' ve1.bad 'a very long interface name' lo/x 0; do
		row "top -i '$i'" top -i "$i" --once
		row "flows -i '$i'" flows -i "$i"
		row "attach -i '$i'" attach -i "$i"
		row "metrics -i '$i'" metrics -i "$i"
	done
	row "attach without -i" attach
	row "attach -i ve1 twice" attach -i ve1 -i ve1
	row "attach --mode bogus" attach -i ve1 --mode bogus
	row "attach --flow-entries 0" attach -i ve1 --flow-entries 0
	row "attach --flow-entries huge" attach -i ve1 --flow-entries 99999999999
	row "detach when nothing is attached" detach -i ve1
}

# intervals, counts, sizes
t_numbers() {
	local v
	for v in 0 -1 abc 1e9 0.01 '' nan inf 3601; do
		row "top --interval '$v'" top -i ve1 --once --interval "$v"
	done
	for v in 0 -1 abc 1000001; do row "top --count '$v'" top -i ve1 --count "$v"; done
	row "top --sort bogus" top -i ve1 --once --sort bogus
	row "top --proto sctp" top -i ve1 --once --proto sctp
	row "flows --top abc" flows -i ve1 --top abc
	row "metrics --interval 0" metrics --textfile "$DIR/m.prom" --interval 0
	row "metrics --textfile in a missing directory" metrics -i ve1 --textfile /nonexistent/x.prom --once
	row "metrics --textfile a directory" metrics -i ve1 --textfile "$DIR" --once
	row "metrics --listen public without --listen-public" metrics -i ve1 --listen 0.0.0.0:9435
	row "metrics --listen nonsense" metrics --listen nonsense
	row "demo --duration 0" demo --duration 0
	row "demo --workers 100" demo --workers 100
	row "steer --watch --interval 0" steer 8080 --watch --interval 0
}

# duplicate options and stray arguments
t_duplicates() {
	local c
	row "top --interval twice" top -i ve1 --once --interval 1 --interval 2
	row "steer --policy twice" steer 8080 --policy hash --policy weighted
	row "attach --mode twice" attach -i ve1 --mode skb --mode native
	row "metrics --listen twice" metrics --listen 127.0.0.1:9435 --listen 127.0.0.1:9436
	row "replay two files" replay "$DIR/trunc.pcap" "$DIR/trunc.pcap"
	for c in status cleanup groups version "steer status"; do
		# shellcheck disable=SC2086
		row "$c with a stray argument" $c extra
	done
	row "unknown option everywhere: top" top --bogus
	row "unknown option: steer" steer 8080 --bogus
	row "option without value: groups" groups --port
}

# pids, weights, policies against a live group
t_live_group() {
	row "steer unknown policy" steer 8080 --policy bogus
	row "--weight unknown pid" steer 8080 --weight 999999=1
	row "--drain unknown pid" steer 8080 --drain 999999
	row "--drain a pid with no socket" steer 8080 --drain "$NOSOCK"
	row "--weight a pid with no socket" steer 8080 --weight "$NOSOCK"=2
	row "--weight pid 0" steer 8080 --weight 0=1
	row "--weight not a pid" steer 8080 --weight abc=1
	row "--weight no value" steer 8080 --weight "$W1"
	row "--weight negative" steer 8080 --weight "$W1"=-1
	row "--weight too large" steer 8080 --weight "$W1"=99999999999
	row "weights that sum to 0" steer 8080 --policy weighted --weight "$W1"=0 --weight "$W2"=0
	row "draining every member" steer 8080 --drain "$W1" --drain "$W2"
	row "least-conn on UDP" steer 8080 --proto udp --policy least-conn
	row "a port with no group" steer 8081
	row "--addr not an address" steer 8080 --addr notanip
	row "--addr with no group" steer 8080 --addr 10.9.9.9
	row "steer off an unsteered group" steer off 8080
}

# files for replay
t_replay_files() {
	row "replay a missing file" replay "$DIR/none.pcap"
	row "replay a truncated capture" replay "$DIR/trunc.pcap"
	row "replay a header-only file" replay "$DIR/header-only.pcap"
	row "replay text" replay "$DIR/text"
	row "replay an empty file" replay "$DIR/empty"
	row "replay a directory" replay "$DIR"
}

# and nothing changed (after the rows above, when they ran)
t_nothing_changed() {
	check "no XDP program on ve0, ve1 or lo" bash -c \
		"! ip -n $S link show | grep -q 'xdp'"
	check "no observer pinned" [ ! -e /sys/fs/bpf/portscope/observe ]
	check "no steering pinned for this namespace" \
		bash -c "! ls /sys/fs/bpf/portscope/steer 2>/dev/null | grep -q net$NS_INODE-"
	check "the group is on the kernel's hash" \
		bash -c "nsenter --net=/run/netns/$S '$PS' groups --port 8080 | grep -q 'steering: kernel hash'"
	ip netns exec "$S" "$CLI" -a 127.0.0.1 -p 8080 -n 50 -q >"$DIR/c"
	check "and still serves: 50 of 50" grep -q '^ok 50 failed 0' "$DIR/c"
}

run_tests
