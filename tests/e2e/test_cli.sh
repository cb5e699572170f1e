#!/usr/bin/env bash
# Bad input everywhere gets one line on stderr naming the problem, exit
# status 2, nothing on stdout. Also: capture formats replay reads (raw IP,
# runts) and refuses (other link types, damaged and non-pcap files).
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=

setup() {
	DIR=$(mktemp -d)
	G=$DIR/good.pcap
	# pcap files written byte by byte: NAME LINKTYPE then records as hex
	python3 - "$DIR" <<'PY'
import struct, sys
d = sys.argv[1]
def pcap(name, linktype, records, cut=None):
    b = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)
    for r in records:
        b += struct.pack("<IIII", 1, 0, len(r), len(r)) + r
    open(f"{d}/{name}", "wb").write(b[:cut] if cut else b)
udp4 = bytes.fromhex("450000210001000040110000c0000201c633640730393039000d0000") + b"hello"
eth = bytes.fromhex("020000000002020000000001" "0800")
pcap("good.pcap", 1, [eth + udp4])
pcap("raw.pcap", 101, [udp4, udp4])
pcap("runt.pcap", 1, [eth[:10], eth + udp4])
pcap("user0.pcap", 147, [udp4])
pcap("trunc.pcap", 1, [eth + udp4, eth + udp4], cut=24 + 16 + 20)
open(f"{d}/text.txt", "w").write("this is not a capture\n")
PY
}
teardown() { [ -z "$DIR" ] || rm -rf "$DIR"; }

# expect_usage NAME ARGS...: exit 2, exactly one stderr line, empty stdout
expect_usage() {
	local name=$1 st lines out
	shift
	"$PS" "$@" >"$DIR/out" 2>"$DIR/err"
	st=$?
	lines=$(wc -l <"$DIR/err")
	out=$(wc -c <"$DIR/out")
	if [ "$st" -eq 2 ] && [ "$lines" -eq 1 ] && [ "$out" -eq 0 ]; then
		ok "$name: $(cat "$DIR/err")"
	else
		bad "$name: exit $st, $lines stderr lines, $out stdout bytes"
		sed 's/^/      /' "$DIR/err"
	fi
}

t_bad_commands() {
	expect_usage "no command"
	expect_usage "unknown command" bogus
	expect_usage "replay without file" replay
	expect_usage "replay two files" replay "$G" "$G"
}

# captures replay refuses
t_bad_captures() {
	expect_usage "missing file" replay "$DIR/none.pcap"
	expect_usage "not a capture" replay "$DIR/text.txt"
	expect_usage "damaged capture" replay "$DIR/trunc.pcap"
	expect_usage "unsupported link type" replay "$DIR/user0.pcap"
}

t_bad_options() {
	local p
	for p in 0 65536 -1 abc '' 80x ' 80' 99999999999999999999; do
		expect_usage "port '$p'" replay "$G" --port "$p"
	done
	expect_usage "top abc" replay "$G" --top abc
	expect_usage "top -5" replay "$G" --top -5
	expect_usage "sort bogus" replay "$G" --sort bogus
	expect_usage "flow-entries 0" replay "$G" --flow-entries 0
	expect_usage "flow-entries huge" replay "$G" --flow-entries 99999999999
	expect_usage "unknown option" replay "$G" --bogus
	expect_usage "option without value" replay "$G" --port
}

t_help_and_man() {
	local cmd man=$BUILD_DIR/portscope.8	# generated from the option tables
	check "help exits 0 with usage" bash -c "'$PS' help | grep -q '^Usage'"
	# every command the help lists: its --help has examples, the man page has it
	for cmd in $("$PS" help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'); do
		case $cmd in help | version) continue ;; esac
		check "$cmd --help has examples, and the man page describes it" bash -c \
			"'$PS' $cmd --help | grep -q '^Examples:' && grep -q '^\.SS $cmd' '$man'"
	done
	check "replay --help exits 0 with examples" bash -c "'$PS' replay --help | grep -q '^Examples'"
	check "version" bash -c "'$PS' version | grep -q '^portscope '"
}

# formats replay reads
t_replay_formats() {
	check "ethernet pcap: udp/12345 counted" \
		bash -c "'$PS' replay '$G' --json | grep -q '\"proto\":\"udp\",\"port\":12345,\"packets\":1'"
	check "raw IP pcap converted: 2 packets on udp/12345" \
		bash -c "'$PS' replay '$DIR/raw.pcap' --json | grep -q '\"port\":12345,\"packets\":2'"
	check "runt counted by the loader" \
		bash -c "'$PS' replay '$DIR/runt.pcap' --json | grep -q '\"runt\":1'"
	check "runt in the packet total" \
		bash -c "'$PS' replay '$DIR/runt.pcap' --json | grep -q '\"packets\":2,\"reasons\"'"
}

run_tests
