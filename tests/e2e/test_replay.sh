#!/usr/bin/env bash
# A capture of real traffic (HTTP over TCP v4/v6 with big GSO frames, UDP to
# the same numeric port as TCP, ICMP unreachables) taken by tcpdump on the
# loopback of a namespace this test owns, replayed through the real XDP
# program: every per-port and per-flow packet and byte count must equal
# tshark's dissection of the same file.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd tcpdump tshark curl socat python3 ip

NS=ps-replay-$$
DIR=$(mktemp -d)
PIDS=()
teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	# anything else still in the namespace (socat's forked children)
	ns_kill "$NS"
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}
run() { ip netns exec "$NS" "$@"; }

# the captures both tests replay: servers, two tcpdumps, bounded traffic
setup() {
	local i a
	ip netns add "$NS" && ip -n "$NS" link set lo up
	head -c 3000000 /dev/urandom >"$DIR/big.bin"
	(cd "$DIR" && exec ip netns exec "$NS" python3 -m http.server 8080 --bind :: >/dev/null 2>&1) &
	PIDS+=($!)
	ip netns exec "$NS" socat UDP6-RECVFROM:8080,fork,reuseaddr PIPE 2>/dev/null &
	PIDS+=($!)
	ip netns exec "$NS" tcpdump -Z root -U --immediate-mode -B 65536 -i lo -w "$DIR/cap.pcap" 2>"$DIR/tcpdump.log" &
	PIDS+=($!)
	# the same traffic as Linux cooked v2 frames (tcpdump -i any)
	ip netns exec "$NS" tcpdump -Z root -U --immediate-mode -B 65536 -i any -w "$DIR/any.pcap" 2>"$DIR/any.log" &
	PIDS+=($!)
	wait_for "$DIR/tcpdump.log" "listening on" || { echo "tcpdump did not start"; return 1; }
	wait_for "$DIR/any.log" "listening on" || { echo "tcpdump -i any did not start"; return 1; }
	for i in $(seq 50); do run bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' 2>/dev/null && break; sleep 0.1; done

	# bounded traffic: 10 small + 2 large HTTP requests per family, 20 datagrams,
	# datagrams to a closed port (ICMP unreachable)
	for i in $(seq 10); do
		run curl -s -o /dev/null --max-time 5 http://127.0.0.1:8080/
		run curl -s -o /dev/null --max-time 5 'http://[::1]:8080/'
	done
	for a in 127.0.0.1 '[::1]'; do run curl -s -o /dev/null --max-time 10 "http://$a:8080/big.bin"; done
	for i in $(seq 10); do
		printf 'datagram %04d' "$i" | run socat -T1 - UDP:127.0.0.1:8080 >/dev/null 2>&1
		printf 'datagram %06d' "$i" | run socat -T1 - 'UDP6:[::1]:8080' >/dev/null 2>&1
	done
	for i in 1 2 3; do
		echo x | run socat - UDP:127.0.0.1:9 >/dev/null 2>&1
		echo x | run socat - 'UDP6:[::1]:9' >/dev/null 2>&1
	done
	sleep 0.5
	kill -INT "${PIDS[2]}" "${PIDS[3]}"; wait "${PIDS[2]}" "${PIDS[3]}" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then cp "$DIR/cap.pcap" "$KEEP"; fi
}

# compare CAPTURE ADJUST: replay vs tshark; ADJUST is what replay's Ethernet
# frame differs by from tshark's frame.len (cooked v2 header 20 -> 14: -6)
compare() {
local cap=$1 adj=$2 frames icmp icmp6
echo "--- $(basename "$cap")"
frames=$(tshark -r "$cap" 2>/dev/null | wc -l)
check "capture holds traffic ($frames frames)" test "$frames" -gt 200

"$PS" replay "$cap" --json --flows --top 0 >"$DIR/ps.json" 2>"$DIR/ps.err"
check "replay exits 0" test $? -eq 0
[ -s "$DIR/ps.err" ] && cat "$DIR/ps.err"

# tshark's view of every frame: length, addresses, ports
tshark -r "$cap" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
	-Y '(tcp or udp) and not icmp and not icmpv6' -T fields -E separator='|' -E occurrence=f \
	-e frame.len -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
	-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport >"$DIR/tshark.txt" 2>/dev/null
icmp=$(tshark -r "$cap" -Y 'icmp' 2>/dev/null | wc -l)
icmp6=$(tshark -r "$cap" -Y 'icmpv6' 2>/dev/null | wc -l)

python3 - "$DIR/ps.json" "$DIR/tshark.txt" "$frames" "$icmp" "$icmp6" "$adj" >"$DIR/cmp.txt" <<'PY'
import collections, ipaddress, json, sys

ps = json.load(open(sys.argv[1]))
frames, icmp, icmp6, adj = map(int, sys.argv[3:7])
ref_ports, ref_flows = collections.Counter(), collections.Counter()
for line in open(sys.argv[2]):
    ln, s4, s6, d4, d6, ts, td, us, ud = line.rstrip("\n").split("|")
    ln = int(ln) + adj
    proto, sp, dp = ("tcp", ts, td) if ts else ("udp", us, ud)
    src = str(ipaddress.ip_address(s4 or s6))
    dst = str(ipaddress.ip_address(d4 or d6))
    ref_ports[(proto, int(dp), "packets")] += 1
    ref_ports[(proto, int(dp), "bytes")] += int(ln)
    ref_flows[(proto, src, int(sp), dst, int(dp), "packets")] += 1
    ref_flows[(proto, src, int(sp), dst, int(dp), "bytes")] += int(ln)

got_ports, got_flows = collections.Counter(), collections.Counter()
for p in ps["ports"]:
    for k in ("packets", "bytes"):
        got_ports[(p["proto"], p["port"], k)] += p[k]
for f in ps["flows"]:
    src = str(ipaddress.ip_address(f["src"]))
    dst = str(ipaddress.ip_address(f["dst"]))
    for k in ("packets", "bytes"):
        got_flows[(f["proto"], src, f["sport"], dst, f["dport"], k)] += f[k]

def compare(name, ref, got):
    diff = {k: (ref.get(k), got.get(k)) for k in set(ref) | set(got) if ref.get(k) != got.get(k)}
    for k, v in sorted(diff.items())[:10]:
        print(f"  {name} {k}: tshark {v[0]} portscope {v[1]}", file=sys.stderr)
    print(f"{name} {len(ref) // 2} {'equal' if not diff else 'DIFFER'}")

compare("ports", ref_ports, got_ports)
compare("flows", ref_flows, got_flows)
print(f"frames {frames} {ps['packets']}")
print(f"icmp {icmp} {ps['reasons']['icmp']}")
print(f"icmpv6 {icmp6} {ps['reasons']['icmpv6']}")
print(f"parsed {sum(v for k, v in ref_ports.items() if k[2] == 'packets')} {ps['reasons']['parsed_ok']}")
print(f"has_udp_8080 {int(('udp', 8080, 'packets') in ref_ports)} {int(('tcp', 8080, 'packets') in ref_ports)}")
print(f"big_frames {int(any(f['bytes'] > 9000 * f['packets'] for f in ps['flows']))} 1")
PY
cat "$DIR/cmp.txt"
while read -r what a b; do
	case $what in
	ports | flows) check "per-$what packets and bytes equal tshark ($a ${what})" test "$b" = equal ;;
	*) check "$what: tshark $a, portscope $b" test "$a" = "$b" ;;
	esac
done <"$DIR/cmp.txt"
check "comparison ran" test -s "$DIR/cmp.txt"
}

# the Ethernet capture (tcpdump -i lo)
t_ethernet_capture() { compare "$DIR/cap.pcap" 0; }

# the same traffic as Linux cooked v2 frames (tcpdump -i any)
t_cooked_capture() { compare "$DIR/any.pcap" -6; }

run_tests
