#!/usr/bin/env bash
# End to end on veth: a sender in a client namespace blasts small UDP
# datagrams (sendmmsg) at a server namespace; the receiver's datagrams/s with
# no observer, with portscope (native XDP on the server veth, and generic), with
# `tcpdump -w /dev/null` on the same interface, and with an nftables counter
# rule for the port — the same offered load, rounds interleaved in one run.
# An empty XDP_PASS program attached natively separates what veth's XDP mode
# costs from what the observer's own work costs.
#   tests/bench/veth_pps.sh [SECONDS] [ROUNDS]     (default 3 5)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PS=${PS:-$ROOT/build/portscope}
T=$(dirname "$PS")/tests/tools
SECS=${1:-3} ROUNDS=${2:-5}
S=ps-bsrv-$$ C=ps-bcli-$$
D=$(mktemp -d)
cleanup() {
	for p in $(ip netns pids "$S" 2>/dev/null) $(ip netns pids "$C" 2>/dev/null); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	nsenter --net=/run/netns/"$S" "$PS" detach >/dev/null 2>&1
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$S" && ip netns add "$C"
ip link add vs netns "$S" type veth peer name vc netns "$C"
ip -n "$S" addr add 10.88.0.1/24 dev vs
ip -n "$C" addr add 10.88.0.2/24 dev vc
ip -n "$S" link set vs up
ip -n "$C" link set vc up
ip -n "$S" link set lo up
printf '%s\n' '__attribute__((section("xdp"), used)) int pass(void *ctx) { return 2; }' \
	'char _license[] __attribute__((section("license"), used)) = "GPL";' >"$D/pass.c"
clang -O2 -target bpf -c "$D/pass.c" -o "$D/pass.o"
ip netns exec "$S" taskset -c 1 "$T/udpsink" 9999 >"$D/sink" &
SINK=$!
until grep -q ready "$D/sink" 2>/dev/null; do sleep 0.1; done
ip netns exec "$C" ping -c1 -W1 10.88.0.1 >/dev/null 2>&1

count() { kill -USR1 "$SINK"; sleep 0.2; tail -1 "$D/sink"; }

# one measurement: the receiver's datagrams/s over SECS under condition $1
measure() {
	local cond=$1 before after tp=
	case $cond in
	portscope) nsenter --net=/run/netns/"$S" "$PS" attach -i vs >/dev/null ;;
	portscope_skb) nsenter --net=/run/netns/"$S" "$PS" attach -i vs --mode skb >/dev/null ;;
	empty_xdp) ip netns exec "$S" ip link set dev vs xdpdrv obj "$D/pass.o" sec xdp ;;
	tcpdump) ip netns exec "$S" tcpdump -i vs -w /dev/null -q 2>/dev/null & tp=$!; sleep 0.5 ;;
	nftables)
		ip netns exec "$S" nft add table inet psbench
		ip netns exec "$S" nft add chain inet psbench in '{ type filter hook input priority 0 ; }'
		ip netns exec "$S" nft add rule inet psbench in udp dport 9999 counter ;;
	esac
	before=$(count)
	ip netns exec "$C" taskset -c 0 "$T/udpblast" 10.88.0.1 9999 "$SECS" >/dev/null
	sleep 0.3
	after=$(count)
	case $cond in
	portscope) nsenter --net=/run/netns/"$S" "$PS" detach >/dev/null ;;
	portscope_skb) nsenter --net=/run/netns/"$S" "$PS" detach >/dev/null ;;
	empty_xdp) ip netns exec "$S" ip link set dev vs xdpdrv off ;;
	tcpdump) kill "$tp"; wait "$tp" 2>/dev/null ;;
	nftables) ip netns exec "$S" nft delete table inet psbench ;;
	esac
	echo "$cond $(( (after - before) / SECS ))"
}

for r in $(seq "$ROUNDS"); do
	for cond in none empty_xdp portscope portscope_skb tcpdump nftables; do
		measure "$cond"
	done
done >"$D/results"
python3 - "$D/results" <<'PY'
import collections, json, statistics, sys
v = collections.defaultdict(list)
for line in open(sys.argv[1]):
    c, pps = line.split()
    v[c].append(int(pps))
base = statistics.median(v["none"])
for c in ("none", "empty_xdp", "portscope", "portscope_skb", "tcpdump", "nftables"):
    m = statistics.median(v[c])
    print(json.dumps({"bench": "veth_pps", "condition": c, "median_pps": m, "min": min(v[c]),
                      "max": max(v[c]), "ratio_to_none": round(m / base, 3)}))
PY
