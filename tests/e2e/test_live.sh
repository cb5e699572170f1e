#!/usr/bin/env bash
# The live observer on real interfaces: a server and a client namespace joined
# by a veth pair this test creates. Native XDP on the server's veth, generic on
# lo; known traffic; per-port and per-flow counts compared with tshark's
# dissection of a capture of the same packets; listeners and owners compared
# with who listens; lifecycle (signals, SIGKILL, pins, cleanup); bad input.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 ip nsenter tcpdump tshark bpftool setpriv tmux

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRV=$BUILD_DIR/tests/tools/rpserver
CLI=$BUILD_DIR/tests/tools/rpclient
S=ps-lsrv-$$ C=ps-lcli-$$
DIR=$(mktemp -d)
PIDS=()

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	tmux kill-session -t "$S" 2>/dev/null
	pair_down "$S" "$C"
	rm -rf "$DIR"
}

ps_() { nsenter --net=/run/netns/"$S" "$PS" "$@"; }
xdp_on() { ip netns exec "$S" bpftool net show dev "$1" 2>/dev/null | grep -q 'xdp\|driver\|generic'; }
attached_ids() { ip netns exec "$S" bpftool -j net show 2>/dev/null | python3 -c '
import json, sys
print(sum(len(x.get("xdp", [])) for x in json.load(sys.stdin)))'; }

# server and client namespaces over veth (IPv4 and IPv6, two client
# addresses); on the server TCP/8080 (3 workers, inherited listeners),
# UDP/8080 (2), TCP/8081 (2, holding connections). Each test leaves nothing
# attached, as it found it.
setup() {
	pair_up "$S" "$C"
	ip -n "$S" addr add 10.77.0.1/24 dev vs
	ip -n "$S" addr add fd77::1/64 dev vs nodad
	ip -n "$C" addr add 10.77.0.2/24 dev vc
	ip -n "$C" addr add 10.77.0.3/24 dev vc
	ip -n "$C" addr add fd77::2/64 dev vc nodad
	ip -n "$S" link set vs up
	ip -n "$C" link set vc up
	ip netns exec "$S" "$SRV" -p 8080 -w 3 -i -d "$DIR" >"$DIR/tcp.pids" &
	PIDS+=($!)
	ip netns exec "$S" "$SRV" -p 8080 -w 2 -u -d "$DIR" >"$DIR/udp.pids" &
	PIDS+=($!)
	ip netns exec "$S" "$SRV" -p 8081 -w 2 -k -d "$DIR" >"$DIR/keep.pids" &
	PIDS+=($!)
	wait_for "$DIR/tcp.pids" '[0-9]' && wait_for "$DIR/udp.pids" '[0-9]'
	sleep 0.2
	ip netns exec "$C" ping -c1 -W1 10.77.0.1 >/dev/null 2>&1	# neighbours resolved before counting
	ip netns exec "$C" "$CLI" -a 10.77.0.1 -p 8080 -n 1 -q >/dev/null
}

# exact counts: native XDP on vs, tshark on the same packets
t_exact_counts() {
	local TD
	check "attach -i vs --pin (native)" bash -c "nsenter --net=/run/netns/$S '$PS' attach -i vs --pin | grep -q 'attached to vs (native)'"
	ip netns exec "$S" tcpdump -Z root -U --immediate-mode -B 65536 -Q in -i vs -w "$DIR/in.pcap" 2>"$DIR/td.log" &
	TD=$!
	wait_for "$DIR/td.log" "listening on"
	ip netns exec "$C" "$CLI" -a 10.77.0.1 -p 8080 -n 200 -q >"$DIR/c1"
	ip netns exec "$C" "$CLI" -a 10.77.0.1 -p 8080 -n 100 -s 10.77.0.3 -q >"$DIR/c2"
	ip netns exec "$C" "$CLI" -a fd77::1 -p 8080 -n 100 -q >"$DIR/c3"
	ip netns exec "$C" "$CLI" -u -a 10.77.0.1 -p 8080 -n 150 -q >"$DIR/c4"
	ip netns exec "$C" "$CLI" -u -a fd77::1 -p 8080 -n 50 -q >"$DIR/c5"
	sleep 0.5
	kill -INT "$TD"
	wait "$TD" 2>/dev/null
	# the reference must be whole: a capture that dropped packets proves nothing
	check "the reference capture is complete ($(grep 'dropped by kernel' "$DIR/td.log"))" \
		grep -q '^0 packets dropped by kernel' "$DIR/td.log"
	check "client traffic: 400 TCP connections and 200 datagrams answered" \
		bash -c "cat '$DIR'/c[1-5] | awk '{ok += \$2; f += \$4} END {exit !(ok == 600 && f == 0)}'"
	ps_ top --once --json --all-ports --interval 0.2 >"$DIR/top.json"
	ps_ flows --json --top 0 >"$DIR/flows.json"
	tshark -r "$DIR/in.pcap" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-Y '(tcp or udp) and not icmp and not icmpv6' -T fields -E separator='|' -E occurrence=f \
		-e frame.len -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
		-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport >"$DIR/tshark.txt" 2>/dev/null
	python3 - "$DIR/top.json" "$DIR/flows.json" "$DIR/tshark.txt" >"$DIR/cmp.txt" <<'PY'
import collections, ipaddress, json, sys
top = json.load(open(sys.argv[1]))
flows = json.load(open(sys.argv[2]))["flows"]
rp, rf = collections.Counter(), collections.Counter()
for line in open(sys.argv[3]):
    ln, s4, s6, d4, d6, ts, td, us, ud = line.rstrip("\n").split("|")
    proto, sp, dp = ("tcp", ts, td) if ts else ("udp", us, ud)
    src, dst = str(ipaddress.ip_address(s4 or s6)), str(ipaddress.ip_address(d4 or d6))
    for k, v in (("packets", 1), ("bytes", int(ln))):
        rp[(proto, int(dp), k)] += v
        rf[(proto, src, int(sp), dst, int(dp), k)] += v
gp, gf = collections.Counter(), collections.Counter()
for p in top["ports"]:
    for k in ("packets", "bytes"):
        gp[(p["proto"], p["port"], k)] += p[k]
for f in flows:
    for k in ("packets", "bytes"):
        gf[(f["proto"], str(ipaddress.ip_address(f["src"])), f["sport"],
            str(ipaddress.ip_address(f["dst"])), f["dport"], k)] += f[k]
for name, ref, got in (("ports", rp, gp), ("flows", rf, gf)):
    diff = [k for k in set(ref) | set(got) if ref.get(k) != got.get(k)]
    for k in sorted(diff)[:5]:
        print(f"  {name} {k}: tshark {ref.get(k)} portscope {got.get(k)}", file=sys.stderr)
    print(name, len(ref) // 2, "equal" if not diff else "DIFFER")
row = {(p["proto"], p["port"]): p for p in top["ports"]}
t, u = row[("tcp", 8080)], row[("udp", 8080)]
# a client may reuse a source port: two connections, one 5-tuple, one flow
tuples = len({k[:5] for k in rf if k[0] == "tcp" and k[4] == 8080})
print("tcp_syn", t["syn"], "flows", t["flows"] - tuples, "clients", t["clients"])
print("udp_packets", u["packets"], "clients", u["clients"])
servers = sorted(h["pid"] for l in t["listeners"] for h in l["processes"] if h["serving"])
print("tcp_servers", " ".join(map(str, servers)))
userv = sorted(h["pid"] for l in u["listeners"] for h in l["processes"] if h["serving"])
print("udp_servers", " ".join(map(str, userv)))
print("kinds", t["kind"], u["kind"])
PY
	cat "$DIR/cmp.txt"
	check "per-port packets and bytes equal tshark" grep -q '^ports [0-9]* equal' "$DIR/cmp.txt"
	check "per-flow packets and bytes equal tshark" grep -q '^flows [0-9]* equal' "$DIR/cmp.txt"
	check "tcp/8080: 400 new connections, one flow per distinct 5-tuple, 3 client addresses" \
		grep -q '^tcp_syn 400 flows 0 clients 3$' "$DIR/cmp.txt"
	check "udp/8080 (same number, other port): 200 datagrams from 2 addresses" \
		grep -q '^udp_packets 200 clients 2$' "$DIR/cmp.txt"
	check "tcp/8080 listeners: the 3 workers serve" \
		test "$(sed -n 's/^tcp_servers //p' "$DIR/cmp.txt")" = "$(sort -n "$DIR/tcp.pids" | tr '\n' ' ' | sed 's/ $//')"
	check "udp/8080 listeners: the 2 workers" \
		test "$(sed -n 's/^udp_servers //p' "$DIR/cmp.txt")" = "$(sort -n "$DIR/udp.pids" | tr '\n' ' ' | sed 's/ $//')"
	check "both rows are local services" grep -q '^kinds service service$' "$DIR/cmp.txt"
	ps_ detach >/dev/null
}

# established connections and the ephemeral fold
t_established() {
	local HOLD
	ps_ attach -i vs --pin >/dev/null
	mkfifo "$DIR/hold"
	ip netns exec "$C" "$CLI" -a 10.77.0.1 -p 8081 -n 10 -k <"$DIR/hold" >"$DIR/held" &
	HOLD=$!
	exec 9>"$DIR/hold"
	wait_for "$DIR/held" holding
	ip netns exec "$S" bash -c 'exec 3<>/dev/tcp/10.77.0.2/9' 2>/dev/null	# an outgoing connection: its reply port is ephemeral
	ps_ top --once --json --interval 0.2 >"$DIR/top2.json"
	exec 9>&-
	wait "$HOLD"
	check "10 held connections: established 10 on tcp/8081" python3 -c "
import json; t = json.load(open('$DIR/top2.json'))
r = [p for p in t['ports'] if p['proto'] == 'tcp' and p['port'] == 8081][0]
assert r['established'] == 10, r['established']"
	check "the reply to our own connection folds into an ephemeral row" python3 -c "
import json; t = json.load(open('$DIR/top2.json'))
e = [p for p in t['ports'] if p['kind'] == 'ephemeral']
assert len(e) == 1 and e[0]['folded'] >= 1 and e[0]['port'] == 0, e"
	ps_ top --once --interval 0.2 >"$DIR/top.txt"
	cat "$DIR/top.txt"
	check "text view shows the listeners" grep -q "rpserver" "$DIR/top.txt"
	check "no traffic in the interval: rates 0 on every row" python3 -c "
import json; t = json.load(open('$DIR/top2.json'))
assert all(p['pkts_s'] < 50 for p in t['ports'] if p['port'] == 8080), t['ports']"
	ps_ detach >/dev/null
}

# pins, status, second attach, detach
t_pins_and_detach() {
	ps_ attach -i vs --pin >/dev/null
	check "pin directory mode 0700" test "$(stat -c %a /sys/fs/bpf/portscope/observe)" = 700
	check "every pin mode 0600" bash -c "! find /sys/fs/bpf/portscope/observe -type f ! -perm 600 | grep -q ."
	check "status names vs, native" bash -c "nsenter --net=/run/netns/$S '$PS' status | grep -qE '^  vs +[0-9]+ +native'"
	ps_ attach -i vs >/dev/null 2>"$DIR/again.err"
	check "a second attach on vs is refused: $(cat "$DIR/again.err")" grep -q 'already attached' "$DIR/again.err"
	check "detach" ps_ detach
	check "nothing attached, nothing pinned" bash -c "! ls /sys/fs/bpf/portscope/observe 2>/dev/null && [ \$(ip netns exec $S bpftool -j net show | grep -c '\"xdp\":\[{') -eq 0 ]"
}

# generic mode on lo
t_generic_lo() {
	ps_ top -i lo --once --json --interval 0.2 >"$DIR/lo.json"
	check "lo is attached in skb mode" grep -q '"ifname":"lo","mode":"skb"' "$DIR/lo.json"
}

# the screen, in an 80x24 terminal
t_screen() {
	local load
	tmux new-session -d -s "$S" -x 80 -y 24 "nsenter --net=/run/netns/$S $PS top -i vs --interval 0.5"
	sleep 0.8
	ip netns exec "$C" "$CLI" -a 10.77.0.1 -p 8080 -t 2 -r 200 -q >/dev/null &
	load=$!
	sleep 1.2
	tmux capture-pane -p -t "$S" >"$DIR/screen1"
	tmux send-keys -t "$S" s
	sleep 0.3
	tmux capture-pane -p -t "$S" >"$DIR/screen2"
	tmux resize-window -t "$S" -x 132 -y 30
	sleep 0.3
	tmux capture-pane -p -t "$S" >"$DIR/screen3"
	wait "$load"
	cat "$DIR/screen1"
	check "header: sort pkts, attached to vs natively" bash -c "head -2 '$DIR/screen1' | tr '\n' ' ' | grep -q 'sort pkts.*vs (native)'"
	check "a tcp 8080 row with new connections per second and its servers" bash -c "grep -E '^tcp +8080 .*rpserver' '$DIR/screen1' | awk '{exit !(\$5 > 0)}'"
	check "24 lines of at most 80 columns" bash -c "[ \$(wc -l <'$DIR/screen1') -eq 24 ] && ! awk 'length > 80' '$DIR/screen1' | grep -q ."
	check "'s' changes the sort key to bytes" bash -c "head -1 '$DIR/screen2' | grep -q 'sort bytes'"
	check "after a resize to 132x30 the listeners show in full" grep -qE '^tcp +8080 .*rpserver, [0-9]+ rpserver' "$DIR/screen3"
	tmux send-keys -t "$S" q
	sleep 0.5
	check "'q' quits" bash -c "! tmux has-session -t '$S' 2>/dev/null"
	check "and leaves nothing attached" test "$(attached_ids)" -eq 0
}

# a loader that dies leaves nothing attached
t_dying_loader() {
	local sig tp i up
	for sig in INT TERM KILL; do
		nsenter --net=/run/netns/"$S" "$PS" top -i vs --interval 0.2 >/dev/null &
		tp=$!
		for i in $(seq 150); do [ "$(attached_ids)" -ge 1 ] && break; sleep 0.1; done
		up=$(attached_ids)
		kill -"$sig" "$tp"
		wait "$tp" 2>/dev/null
		# the kernel drops a dead loader's link when its files are released: allow it a moment
		for i in $(seq 50); do [ "$(attached_ids)" -eq 0 ] && break; sleep 0.1; done
		check "top -i vs, SIG$sig: attached while running ($up), nothing after ($(attached_ids))" \
			test "$up" -eq 1 -a "$(attached_ids)" -eq 0
	done
}

# another XDP program on the interface is refused, by name
t_foreign_xdp() {
	local st
	ip netns exec "$S" ip link set dev vs xdpgeneric obj "$BUILD_DIR/observe.bpf.o" sec xdp 2>"$DIR/ipl.err"
	ps_ top -i vs --once >/dev/null 2>"$DIR/other.err"
	st=$?
	ip netns exec "$S" ip link set dev vs xdpgeneric off
	check "refused (exit $st): $(cat "$DIR/other.err")" bash -c "[ $st -eq 2 ] && grep -q \"already has an XDP program: 'observe'\" '$DIR/other.err'"
}

# cleanup removes stale state only
t_cleanup_stale() {
	ip -n "$S" link add vx type veth peer name vy
	ip -n "$S" link set vx up
	ip -n "$S" link set vy up
	ps_ attach -i vx >/dev/null
	ps_ attach -i lo >/dev/null
	ip -n "$S" link del vx
	check "status marks vx stale" bash -c "nsenter --net=/run/netns/$S '$PS' status | grep -q 'vx.*stale'"
	check "cleanup removes vx's link" bash -c "nsenter --net=/run/netns/$S '$PS' cleanup | grep -q 'vx'"
	check "lo is still attached after cleanup" bash -c "nsenter --net=/run/netns/$S '$PS' status | grep -qE '^  lo .*attached'"
	ps_ detach >/dev/null
}

expect_bad() {
	local name=$1 st
	shift
	"$@" >"$DIR/bad.out" 2>"$DIR/bad.err"
	st=$?
	if [ "$st" -eq 2 ] && [ "$(wc -l <"$DIR/bad.err")" -eq 1 ] && [ "$(attached_ids)" -eq 0 ] &&
		[ ! -e /sys/fs/bpf/portscope/observe ]; then
		ok "$name: $(cat "$DIR/bad.err")"
	else
		bad "$name: exit $st"; cat "$DIR/bad.err"
	fi
}

# bad input: one line, exit 2, nothing attached
t_bad_input() {
	ip -n "$S" link add vd type veth peer name ve	# left down
	expect_bad "unknown interface" ps_ top -i nosuch0 --once
	expect_bad "interface down" ps_ top -i vd --once
	expect_bad "same interface twice" ps_ attach -i vs -i vs
	expect_bad "bad mode" ps_ top -i vs --mode turbo --once
	expect_bad "interval 0" ps_ top -i vs --interval 0
	expect_bad "interval abc" ps_ top -i vs --interval abc
	expect_bad "interval 99999" ps_ top -i vs --interval 99999
	expect_bad "count 0" ps_ top -i vs --count 0
	expect_bad "bad port" ps_ top -i vs --port 70000 --once
	expect_bad "bad sort" ps_ top -i vs --sort fastest --once
	expect_bad "top with nothing attached" ps_ top --once
	expect_bad "detach with nothing attached" ps_ detach
	expect_bad "non-root top" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$PS" top -i lo --once
	expect_bad "non-root attach" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$PS" attach -i lo
}

run_tests
