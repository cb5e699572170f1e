#!/usr/bin/env bash
# UDP steering, measured: datagrams/s received by 3 reuseport workers
# (udpworkers -s, counting only) from udpblast (sendmmsg, 16 flows) over the
# loopback of a namespace, for each UDP mode of `steer` against the kernel's
# default, rounds interleaved, median per mode.
#   tests/bench/udp_steer_bench.sh [SECONDS] [ROUNDS]   (default 3 3); JSON lines
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PS=${PS:-$ROOT/build/portscope}
T=$(dirname "$PS")/tests/tools
SECS=${1:-3} ROUNDS=${2:-3}
NS=ps-ubench-$$
D=$(mktemp -d)
cleanup() {
	kill $(ip netns pids "$NS" 2>/dev/null) 2>/dev/null	# bash's kill: no procps
	sleep 0.3
	rm -rf /sys/fs/bpf/portscope/steer/net"$(stat -L -c %i /run/netns/"$NS" 2>/dev/null)"-* 2>/dev/null
	rmdir /sys/fs/bpf/portscope/steer /sys/fs/bpf/portscope 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up
ps_() { nsenter --net=/run/netns/"$NS" "$PS" "$@" >/dev/null; }

# one MODE: workers, the mode, SECS of udpblast; prints "MODE PPS"
one() {
	local mode=$1 port=$((18000 + RANDOM % 1000)) m sent
	mkdir -p "$D/$port"
	ip netns exec "$NS" "$T/udpworkers" -p "$port" -a 127.0.0.1 -w 3 -s -d "$D/$port" >"$D/$port.pids" &
	m=$!
	sleep 0.4
	case $mode in
	default) ;;
	hash-per-datagram) ps_ steer "$port" --proto udp --policy hash --udp-flows off ;;
	rr-per-datagram) ps_ steer "$port" --proto udp --policy round-robin --udp-flows off ;;
	rr-flows) ps_ steer "$port" --proto udp --policy round-robin ;;
	weighted-flows) ps_ steer "$port" --proto udp --policy weighted ;;
	rr-flows-quic-cid) ps_ steer "$port" --proto udp --policy round-robin --quic-cid 0:8 ;;
	esac
	sent=$(ip netns exec "$NS" "$T/udpblast" 127.0.0.1 "$port" "$SECS" 16)
	sleep 0.3
	kill "$m"
	wait "$m"
	echo "$mode $(cat "$D/$port"/* | awk -v s="$SECS" '{n += $2} END {printf "%.0f", n / s}') $sent"
	ps_ steer off "$port" --proto udp 2>/dev/null
}

for r in $(seq "$ROUNDS"); do
	for mode in default hash-per-datagram rr-per-datagram rr-flows weighted-flows rr-flows-quic-cid; do
		one "$mode"
	done
done >"$D/rows"
python3 - "$D/rows" <<'PY'
import collections, json, statistics, sys
v = collections.defaultdict(list)
for l in open(sys.argv[1]):
    mode, pps, sent = l.split()
    v[mode].append(float(pps))
base = statistics.median(v["default"])
for mode, x in v.items():
    print(json.dumps({"bench": "udp_steer", "mode": mode, "median_pps": statistics.median(x),
                      "ratio_to_default": round(statistics.median(x) / base, 3), "runs": x}))
PY
