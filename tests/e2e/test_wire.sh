#!/usr/bin/env bash
# The packet path on a real veth pair, native XDP: every frame of the
# foundation's corpus (test_observe's table: truncations, bad headers,
# fragments, VLANs, extension headers, jumbo frames) sent with AF_PACKET
# from the client namespace arrives (the receiver's interface counter and a
# capture behind XDP both see it: passed) and is counted under its named
# reason. Then a flood: 12x the flow table in distinct flows (random source
# ports, SYNs) within seconds, with one hot flow woven through it: the port
# counters equal what was sent, evictions are counted and shown by top,
# status and metrics, and the hot flow's counters stay exact.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 ip nsenter tcpdump

S=ps-wsrv-$$ C=ps-wcli-$$
DIR=$(mktemp -d)
TABLE=4096
REPEAT=3

teardown() {
	pair_down "$S" "$C"
	rm -rf "$DIR"
}
ps_() { nsenter --net=/run/netns/"$S" "$PS" "$@"; }
rx() { ip -n "$S" -s -j link show vs | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
json_get() { python3 -c "import json,sys; d=json.load(open('$1')); print(eval('d$2'))"; }

# the pair (no addresses, no IPv6: nothing but the test's frames crosses
# it), the corpus, the senders
setup() {
	local ns
	pair_up "$S" "$C"
	for ns in "$S" "$C"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "$S" link set vs mtu 9100 up
	ip -n "$C" link set vc mtu 9100 up
	"$BUILD_DIR"/tests/test_observe --corpus "$DIR" || { echo "cannot write the corpus"; return 1; }
	NFRAMES=$(wc -l <"$DIR/corpus.expect")
	write_senders
}

write_senders() {
	# send.py PCAP IFACE REPEAT: every frame of PCAP, REPEAT times, on IFACE
	cat >"$DIR/send.py" <<'PY'
import socket, struct, sys
pcap, iface, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(pcap, "rb").read()
frames, off = [], 24
while off < len(b):
    _, _, caplen, _ = struct.unpack_from("<IIII", b, off)
    frames.append(b[off + 16:off + 16 + caplen])
    off += 16 + caplen
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
sent = 0
for _ in range(repeat):
    for f in frames:
        sent += s.send(f) == len(f)
print(sent)
PY
	# runts.py IFACE: frames of 0..13 bytes; prints how many were refused
	cat >"$DIR/runts.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
refused = 0
for n in range(14):
    try:
        s.send(bytes(range(n)))
    except OSError:
        refused += 1
print(refused)
PY
	# flood.py IFACE N HOT: N SYNs of distinct flows to tcp/9999, a hot UDP
	# flow (to 7777) every 10th frame up to HOT; prints SYNs, hot, seconds
	cat >"$DIR/flood.py" <<'PY'
import random, socket, struct, sys, time
iface, n, hot = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
def frame(src, sport, dport, flags, proto=6):
    l4 = (struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0)
          if proto == 6 else struct.pack("!HHHH", sport, dport, 8, 0))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                     socket.inet_aton(src), socket.inet_aton("10.79.0.1"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + l4
random.seed(7)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
hot_frame = frame("10.79.0.9", 5555, 7777, 0, proto=17)
syn, hot_sent, t0 = 0, 0, time.time()
ports = random.sample(range(1024, 65536), 64000)
for i in range(n):
    src = "10.79.%d.%d" % (1 + i // 64000, 2 + (i // 250) % 250)
    syn += s.send(frame(src, ports[i % 64000], 9999, 0x02)) > 0
    if i % 10 == 0 and hot_sent < hot:
        hot_sent += s.send(hot_frame) > 0
print(syn, hot_sent, "%.2f" % (time.time() - t0))
PY
}

# the corpus over veth, observer native on vs
t_corpus_over_veth() {
	local TD RX0 RX1 SENT WANT CUTVLAN reason want got
	echo "--- the corpus over veth: $NFRAMES frames x $REPEAT, observer native on vs"
	check "attach -i vs (native)" bash -c "ps_() { nsenter --net=/run/netns/$S '$PS' \"\$@\"; }; ps_ attach -i vs --pin | grep -q '(native)'"
	ip netns exec "$S" tcpdump -Z root -U --immediate-mode -B 65536 -s 0 -Q in -i vs -w "$DIR/in.pcap" 2>"$DIR/td.log" &
	TD=$!
	wait_for "$DIR/td.log" "listening on"
	RX0=$(rx)
	SENT=$(ip netns exec "$C" python3 "$DIR/send.py" "$DIR/corpus.pcap" vc "$REPEAT")
	sleep 0.5
	RX1=$(rx)
	kill -INT "$TD"; wait "$TD" 2>/dev/null
	WANT=$((NFRAMES * REPEAT))
	check "AF_PACKET sent all $WANT frames ($SENT)" [ "$SENT" -eq "$WANT" ]
	check "vs received $WANT frames (interface counter: $((RX1 - RX0)))" [ $((RX1 - RX0)) -eq "$WANT" ]
	# XDP passes a frame cut inside its VLAN tag; the stack then drops it in
	# skb_vlan_untag(), before any tap: the capture misses exactly those
	CUTVLAN=$(($(grep -c '^truncated_vlan ' "$DIR/corpus.expect") * REPEAT))
	check "a capture behind XDP saw all $WANT but the $CUTVLAN the stack drops in VLAN untagging ($(grep 'captured' "$DIR/td.log"))" \
		grep -q "^$((WANT - CUTVLAN)) packets captured" "$DIR/td.log"
	ps_ top --once --json --interval 0.1 --all-ports >"$DIR/top.json"
	ps_ detach >/dev/null
	python3 - "$DIR/corpus.expect" "$DIR/top.json" "$REPEAT" >"$DIR/reasons.txt" <<'PY'
import collections, json, sys
want = collections.Counter()
for line in open(sys.argv[1]):
    cls, ev, _ = line.split(" ", 2)
    want[cls] += int(sys.argv[3])
    if ev != "-":
        want[ev] += int(sys.argv[3])
got = json.load(open(sys.argv[2]))["reasons"]
for k in sorted(set(want) | {k for k, v in got.items() if v and not k.startswith("flow_")}):
    print(k, want[k], got.get(k, 0))
PY
	while read -r reason want got; do
		check "reason $reason: $want sent, $got counted" [ "$want" -eq "$got" ]
	done <"$DIR/reasons.txt"
	check "the observer's frame total is $WANT (top: totals.packets)" \
		bash -c "[ \$(python3 -c \"import json; print(json.load(open('$DIR/top.json'))['totals']['packets'])\") -eq $WANT ]"
}

# runts: the kernel will not send a frame shorter than an Ethernet header
t_runts() {
	local RX0
	RX0=$(rx)
	check "AF_PACKET refuses all 14 frames of 0..13 bytes (dev_validate_header; test_run and replay cover runts)" \
		[ "$(ip netns exec "$C" python3 "$DIR/runts.py" vc)" -eq 14 ]
	check "and none reached vs" [ "$(rx)" -eq "$RX0" ]
}

# flood: 12x the flow table in new flows at tcp/9999, a hot flow through it
t_flood() {
	local FLOOD HOT RX0 RX1 SYNS HOTS SECS res what
	FLOOD=$((12 * TABLE)) HOT=$((12 * TABLE / 10))
	echo "--- flood: $FLOOD new flows at tcp/9999 with a hot flow through it, table $TABLE"
	ps_ attach -i vs --pin --flow-entries "$TABLE" >/dev/null
	RX0=$(rx)
	read -r SYNS HOTS SECS < <(ip netns exec "$C" python3 "$DIR/flood.py" vc "$FLOOD" "$HOT")
	sleep 0.5
	RX1=$(rx)
	ps_ top --once --json --interval 0.1 --all-ports >"$DIR/flood.json"
	ps_ flows --json --top 0 --port 7777 >"$DIR/hot.json"
	ps_ status --json >"$DIR/status.json"
	ps_ metrics >"$DIR/metrics.txt"
	ps_ detach >/dev/null
	check "sent $SYNS SYNs + $HOTS hot datagrams in ${SECS}s; vs received them all ($((RX1 - RX0)))" \
		[ $((RX1 - RX0)) -eq $((SYNS + HOTS)) ]
	python3 - "$DIR" "$SYNS" "$HOTS" "$TABLE" >"$DIR/flood.txt" <<'PY'
import json, sys
d, syns, hots, table = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
top = json.load(open(f"{d}/flood.json"))
port = next(p for p in top["ports"] if p["proto"] == "tcp" and p["port"] == 9999)
hotp = next(p for p in top["ports"] if p["proto"] == "udp" and p["port"] == 7777)
ft = top["flow_table"]
flows = json.load(open(f"{d}/hot.json"))
hot = [f for f in flows["flows"] if f["dport"] == 7777]
print(port["packets"] == syns and port["syn"] == syns, "tcp/9999 packets/SYNs", port["packets"], port["syn"], "of", syns)
print(hotp["packets"] == hots, "udp/7777 packets", hotp["packets"], "of", hots)
print(ft["inserts"] == syns + 1, "flow inserts", ft["inserts"], "of", syns + 1)
print(ft["entries"] <= table and ft["evicted"] == ft["inserts"] - ft["entries"] and ft["evicted"] >= syns - table,
      "top: evicted", ft["evicted"], "entries", ft["entries"], "capacity", ft["capacity"])
print(len(hot) == 1 and hot[0]["packets"] == hots, "hot flow exact", hot[0]["packets"] if hot else None, "of", hots)
print('"evicted":%d' % ft["evicted"] in open(f"{d}/status.json").read(), "status shows", ft["evicted"], "evicted")
m = {l.split()[0]: l.split()[1] for l in open(f"{d}/metrics.txt") if l.startswith("portscope_flow_table_evicted_total")}
print(int(m.get("portscope_flow_table_evicted_total", -1)) == ft["evicted"], "metrics portscope_flow_table_evicted_total", m)
print(ft["insert_failed"] == 0, "insert failures", ft["insert_failed"])
PY
	while read -r res what; do
		check "flood: $what" [ "$res" = True ]
	done <"$DIR/flood.txt"
}

run_tests
