#!/usr/bin/env bash
# Steering UDP (issue 13), with real sockets and processes in a namespace this
# suite owns: flows stay on one worker under every policy, spread as the
# policy says, counted the same by the workers and by portscope; per-datagram
# mode for stateless services; a graceful restart under 200 live sessions
# (drain, replace, stop once the drained worker holds no flow) against the
# kernel's default and per-datagram round-robin; QUIC connections kept on
# their worker across a change of source port by their connection IDs; a
# table smaller than the flows in flight. Servers: tests/tools/udpworkers;
# clients: tests/tools/udpclients.
#
# Tests are functions t_NAME; TESTS="t_a t_b" runs a few.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 ip nsenter

WRK=$BUILD_DIR/tests/tools/udpworkers
CLI=$BUILD_DIR/tests/tools/udpclients
NS=ps-udp-$$
DIR=$(mktemp -d)
NSINO=

setup() {
	ip netns add "$NS" && ip -n "$NS" link set lo up
	NSINO=$(stat -L -c %i /run/netns/"$NS")
}

teardown() {
	ns_kill "$NS"
	sleep 0.2
	ns_kill "$NS" KILL
	wait 2>/dev/null
	remove_steer_pins "$NSINO"
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}

run() { ip netns exec "$NS" "$@"; }
# the namespace's UDP datagrams dropped by full socket buffers so far
rcvbuf_drops() {
	run awk '/^Udp:/ && !n++ {for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; next}
		/^Udp:/ {print $c}' /proc/net/snmp
}
ps_() { nsenter --net=/run/netns/"$NS" "$PS" "$@"; }

# workers NAME ARGS…: udpworkers in the namespace; "PID [ID]" lines in
# $DIR/NAME.pids, counts in $DIR/NAME/ when they stop
workers() {
	local name=$1 n i
	shift
	mkdir -p "$DIR/$name"
	ip netns exec "$NS" "$WRK" -d "$DIR/$name" "$@" >"$DIR/$name.pids" &
	echo $! >"$DIR/$name.master"
	n=$(printf '%s\n' "$@" | grep -A1 -x -- -w | tail -1)
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l <"$DIR/$name.pids")" -ge "${n:-3}" ] && return 0
		sleep 0.1
	done
}
stop_workers() {
	local m
	m=$(cat "$DIR/$1.master")
	kill "$m" 2>/dev/null
	wait "$m" 2>/dev/null
}
pids() { awk '{print $1}' "$DIR/$1.pids"; }

# status PORT: portscope's JSON for the group on PORT in our namespace
status() { ps_ steer status --json | grep "\"group\":\"net$NSINO-udp-[^\"]*-$1\""; }
# jq_ PORT EXPR: a python expression over d (the status object)
jq_() { status "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }

# own_vs_portscope NAME PORT: the workers' own counts (flows, datagrams) =
# portscope's per member (placed, selected). Prints the flows per worker.
own_vs_portscope() {
	python3 - "$DIR/$1" "$DIR/$1.status" <<'PY'
import json, os, sys
d, st = sys.argv[1], json.load(open(sys.argv[2]))
own = {}
for p in os.listdir(d):
    f = open(os.path.join(d, p)).read().split()
    own[int(p)] = (int(f[f.index("flows") + 1]), int(f[f.index("datagrams") + 1]))
ps = {m["pid"]: (m["flows_placed"], m["selected"]) for m in st["members"]}
print("flows", *sorted((v[0] for v in own.values()), reverse=True), "equal" if own == ps else f"DIFFER own {own} portscope {ps}")
PY
}

# flows_case NAME BIND CLIENT_ADDR CLIENTS N EXPECT STEERARGS…: workers on
# BIND, steer, CLIENTS × N datagrams; every client on one worker, the flows
# per worker (sorted) EXPECT, the workers' counts = portscope's
flows_case() {
	local name=$1 bind=$2 caddr=$3 c=$4 n=$5 want=$6 port
	shift 6
	# each case its own port: an earlier case's group, its pins not yet
	# gone, must not match this one's status (two random ports could)
	port=$((19500 + $(cksum <<<"$name" | cut -d' ' -f1) % 400))
	workers "$name" -p "$port" -a "$bind" -w 3
	check "$name: steer $*" ps_ steer "$port" --proto udp "$@" >/dev/null
	run "$CLI" flows -a "$caddr" -p "$port" -c "$c" -n "$n" >"$DIR/$name.client"
	status "$port" >"$DIR/$name.status"
	stop_workers "$name"
	check "$name: $c clients × $n from $caddr to $bind: all answered, each client on one worker ($(tail -1 "$DIR/$name.client"))" \
		grep -q "^clients $c one_worker $c datagrams $((c * n)) answered $((c * n))$" "$DIR/$name.client"
	own_vs_portscope "$name" >"$DIR/$name.cmp"
	check "$name: flows per worker $want, workers' own counts = portscope's ($(cat "$DIR/$name.cmp"))" \
		grep -q "^flows $want equal$" "$DIR/$name.cmp"
	check "$name: $((c * n - c)) datagrams by flow, $c placed" python3 -c "
import json; r = json.load(open('$DIR/$name.status'))['reasons']
assert r['udp_flow_hit'] == $((c * n - c)) and r['udp_flow_placed'] == $c, r"
}

t_flows_round_robin() {
	flows_case rr 0.0.0.0 127.0.0.1 50 100 "17 17 16" --policy round-robin
}

# weighted 3:2:1 over the 6-slot smooth wheel (a b a c b a): 50 flows are 8
# turns and a, b: 25 17 8
t_flows_weighted() {
	local port=19901
	workers w -p "$port" -a :: -w 3
	local W=($(pids w))
	check "w: steer weighted 3:2:1" ps_ steer "$port" --proto udp --policy weighted \
		--weight "${W[0]}"=3 --weight "${W[1]}"=2 --weight "${W[2]}"=1 >/dev/null
	run "$CLI" flows -a ::1 -p "$port" -c 50 -n 100 >"$DIR/w.client"
	status "$port" >"$DIR/w.status"
	stop_workers w
	check "w: 50 clients × 100 from ::1: each client on one worker ($(tail -1 "$DIR/w.client"))" \
		grep -q '^clients 50 one_worker 50 datagrams 5000 answered 5000$' "$DIR/w.client"
	own_vs_portscope w >"$DIR/w.cmp"
	check "w: flows 25 17 8 as weighted 3:2:1, workers' counts = portscope's ($(cat "$DIR/w.cmp"))" \
		grep -q '^flows 25 17 8 equal$' "$DIR/w.cmp"
	check "w: worker ${W[0]} (weight 3) has 25 flows" python3 -c "
import json; m = {x['pid']: x['flows_placed'] for x in json.load(open('$DIR/w.status'))['members']}
assert m[${W[0]}] == 25 and m[${W[1]}] == 17 and m[${W[2]}] == 8, m"
}

# every bind, both families; source-affinity and hash keep flows too
t_flows_binds() {
	flows_case b4any 0.0.0.0 127.0.0.1 30 20 "10 10 10" --policy round-robin
	flows_case b6any :: ::1 30 20 "10 10 10" --policy round-robin
	flows_case b4lo 127.0.0.1 127.0.0.1 30 20 "10 10 10" --policy round-robin
	flows_case b6lo ::1 ::1 30 20 "10 10 10" --policy round-robin
	flows_case bdual :: 127.0.0.1 30 20 "10 10 10" --policy round-robin
}

# the older kernels' program (plain loops, no bpf_loop): the same
t_flows_steer_loops() {
	PS_STEER_PROG=steer_loops flows_case loops 0.0.0.0 127.0.0.1 50 20 "17 17 16" --policy round-robin
}

# --udp-flows off: every datagram placed; round-robin of datagrams exact
t_per_datagram() {
	local port=19902
	workers pd -p "$port" -a 127.0.0.1 -w 3
	check "pd: steer --udp-flows off" ps_ steer "$port" --proto udp --policy round-robin --udp-flows off
	check "pd: status says per datagram" bash -c "nsenter --net=/run/netns/$NS '$PS' steer status | grep -- '-$port ' | grep -q 'udp per datagram (flows off)'"
	run "$CLI" flows -a 127.0.0.1 -p "$port" -c 50 -n 100 >"$DIR/pd.client"
	status "$port" >"$DIR/pd.status"
	stop_workers pd
	check "pd: 5000 answered; no client stays on one worker ($(tail -1 "$DIR/pd.client"))" \
		grep -q '^clients 50 one_worker 0 datagrams 5000 answered 5000$' "$DIR/pd.client"
	python3 - "$DIR/pd" "$DIR/pd.status" >"$DIR/pd.cmp" <<'PY'
import json, os, sys
own = {int(p): int(open(os.path.join(sys.argv[1], p)).read().split()[1]) for p in os.listdir(sys.argv[1])}
st = json.load(open(sys.argv[2]))
ps = {m["pid"]: m["selected"] for m in st["members"]}
print("datagrams", *sorted(own.values(), reverse=True), "equal" if own == ps else "DIFFER",
      "flow_table", st["udp"]["flow_table"]["entries"])
PY
	check "pd: round-robin of datagrams exact, workers' counts = portscope's, no flow recorded ($(cat "$DIR/pd.cmp"))" \
		grep -q '^datagrams 1667 1667 1666 equal flow_table 0$' "$DIR/pd.cmp"
}

# restart_run NAME MODE: 3 workers, 200 sessions (a datagram every 10 ms,
# ~1.5 s each, renewed for 9 s); at 2 s worker 1 is drained (portscope
# modes), a replacement starts and joins; the drained worker is stopped once
# portscope shows 0 flows on it (kernel default: 3 s later). Prints the
# clients' line, "waited S" and "drops D" (full socket buffers meanwhile).
restart_run() {
	local name=$1 mode=$2 port w0 t waited=-1 drops
	port=$((19910 + $(cksum <<<"$name" | cut -d' ' -f1) % 80))	# its own (after the local: name set)
	workers "$name" -p "$port" -a 127.0.0.1 -w 3
	w0=$(pids "$name" | head -1)
	# what steer said, and its status (the check names a steer that failed)
	case $mode in
	flows) ps_ steer "$port" --proto udp --policy round-robin --udp-idle 1 ;;
	datagram) ps_ steer "$port" --proto udp --policy round-robin --udp-flows off ;;
	esac >"$DIR/$name.steer" 2>&1
	echo "exit $?" >>"$DIR/$name.steer"
	if [ "$mode" != kernel ]; then
		# nsenter, not ps_: a function put in the background is a subshell,
		# and killing $! would leave portscope running (it would go on
		# steering the port's next group)
		nsenter --net=/run/netns/"$NS" "$PS" steer "$port" --proto udp --watch --interval 0.1 \
			>"$DIR/$name.watch" 2>&1 &
		echo $! >"$DIR/$name.watchpid"
	fi
	drops=$(rcvbuf_drops)
	run "$CLI" sessions -a 127.0.0.1 -p "$port" -c 200 -i 10 -l 1500 -t 9 >"$DIR/$name.client" &
	local cpid=$!
	sleep 2
	[ "$mode" != kernel ] && ps_ steer "$port" --proto udp --drain "$w0" >/dev/null
	kill -USR1 "$(cat "$DIR/$name.master")"	# the replacement
	if [ "$mode" = flows ]; then
		for ((t = 0; t < 100; t++)); do
			sleep 0.1
			[ "$(jq_ "$port" "[m['flows'] for m in d['members'] if m['pid'] == $w0][0]")" = 0 ] &&
				{ waited=$(awk "BEGIN {print ($t + 1) / 10}"); break; }
		done
	else
		sleep 3
	fi
	[ "$mode" != kernel ] && status "$port" >"$DIR/$name.prekill" 2>/dev/null
	kill -TERM "$w0"
	wait "$cpid"
	drops=$(($(rcvbuf_drops) - drops))
	status "$port" >"$DIR/$name.status" 2>/dev/null
	[ -f "$DIR/$name.watchpid" ] && stop_pid "$(cat "$DIR/$name.watchpid")"
	stop_workers "$name"
	echo "$(cat "$DIR/$name.client") waited $waited drops $drops"
}

t_graceful_restart() {
	local f k d
	f=$(restart_run rf flows)
	k=$(restart_run rk kernel)
	d=$(restart_run rd datagram)
	python3 - "$DIR/rf" "$DIR/rf.status" <<'PY'
import json, os, sys
own = {int(p): int(open(os.path.join(sys.argv[1], p)).read().split()[1]) for p in os.listdir(sys.argv[1])}
ps = {m["pid"]: m["selected"] for m in json.load(open(sys.argv[2]))["members"]}
ps.update({m["pid"]: m["selected"] for m in json.load(open(os.path.join(os.path.dirname(sys.argv[2]), "rf.prekill")))["members"] if m["drained"]})
print("  flows run, datagrams per worker (own / portscope; the drained one as it was stopped):",
      " ".join(f"{p}:{own.get(p)}/{ps.get(p)}" for p in sorted(set(own) | set(ps))))
PY
	echo "  portscope, flows:          $f"
	echo "  kernel default:            $k"
	echo "  per-datagram round-robin:  $d"
	set -- $f
	# a datagram lost to a full socket buffer (a slow machine: qemu TCG)
	# is the kernel's, not steering's: every loss must be one of those
	check "flows: 0 of $2 sessions answered by another worker; ${10} of $6 datagrams lost, all ${14} to full socket buffers; the drained worker held 0 flows after ${12} s" \
		test "$4" -eq 0 -a "${10}" -le "${14}" -a "${12}" != -1 -a "$2" -ge 1000
	check "--watch said the drained worker was safe to stop" grep -q '0 flows left, safe to stop' "$DIR/rf.watch"
	check "flows: the drained worker was stopped with 0 flows: none placed afresh for a closed member" python3 -c "
import json; r = json.load(open('$DIR/rf.status'))['reasons']
assert r['udp_flow_member_closed'] == 0 and r['fallback_empty_slot'] == 0, r"
	set -- $k
	check "kernel default: sessions break ($4 of $2)" test "$4" -gt 0
	set -- $d
	check "per-datagram round-robin: nearly every session breaks ($4 of $2; steer: $(tr '\n' ' ' <"$DIR/rd.steer"))" \
		test "$4" -ge $(($2 * 9 / 10))
}

# quic_case NAME -q ARG STEERARGS…: workers issuing IDs; 100 connections
# of 20 short headers, each moving to a new source port half-way
t_quic_cookie() {
	local port=19903
	workers qc -p "$port" -a 127.0.0.1 -w 3 -q cookie
	ps_ steer "$port" --proto udp --policy round-robin >/dev/null
	run "$CLI" quic -a 127.0.0.1 -p "$port" -c 100 -n 20 -r >"$DIR/qc.tuple"
	check "steer --quic-cid 0:8 (ids: socket cookies, as nginx's quic_bpf)" ps_ steer "$port" --proto udp --quic-cid 0:8
	local before
	before=$(jq_ "$port" "d['reasons']['quic_cid_hit'], d['reasons']['quic_cid_miss'], d['reasons']['quic_long_header']")
	run "$CLI" quic -a 127.0.0.1 -p "$port" -c 100 -n 20 -r -u 3 >"$DIR/qc.cid"
	status "$port" >"$DIR/qc.status"
	stop_workers qc
	echo "  4-tuple table only: $(cat "$DIR/qc.tuple")"
	echo "  connection IDs:     $(cat "$DIR/qc.cid")"
	set -- $(cat "$DIR/qc.tuple")
	check "4-tuple table alone: rebound connections move ($4 of 100)" test "$4" -gt 0
	check "connection IDs: 100 connections, 0 moved, 0 reset, 2500 packets answered" \
		grep -q '^conns 100 moved 0 reset 0 packets 2500 answered 2500 unclaimed_on_flow_worker 300$' "$DIR/qc.cid"
	check "counters: 2000 cid hits, 300 misses (unclaimed ids: to the flow's worker), 200 long headers (after $before)" python3 -c "
import json; r = json.load(open('$DIR/qc.status'))['reasons']
b = [int(x) for x in '$before'.replace(',', ' ').replace('(', ' ').replace(')', ' ').split()]
assert (r['quic_cid_hit'] - b[0], r['quic_cid_miss'] - b[1], r['quic_long_header'] - b[2]) == (2000, 300, 200), r"
	check "every member claims its cookie" python3 -c "
import json; d = json.load(open('$DIR/qc.status'))
assert d['udp']['quic_cid'] == {'offset': 0, 'length': 8} and all(m['quic_id'] == m['cookie'] for m in d['members']), d"
}

t_quic_worker_ids() {
	local port=19904 args=()
	workers qi -p "$port" -a ::1 -w 3 -q 4:2
	while read -r p id; do args+=(--quic-id "$p=$id"); done <"$DIR/qi.pids"
	check "steer --quic-cid 4:2 ${args[*]}" ps_ steer "$port" --proto udp --policy weighted --quic-cid 4:2 "${args[@]}"
	run "$CLI" quic -a ::1 -p "$port" -c 60 -n 20 -r >"$DIR/qi.cid"
	stop_workers qi
	check "worker ids at offset 4 over IPv6: 60 connections rebound, 0 moved ($(cat "$DIR/qi.cid"))" \
		grep -q '^conns 60 moved 0 reset 0 ' "$DIR/qi.cid"
}

# a table of 64 flows, 500 clients in rounds: each flow is evicted before its
# next datagram, and each is placed again by the policy; nothing is dropped
t_table_full() {
	local port=19905
	workers tf -p "$port" -a 127.0.0.1 -w 3
	check "steer --udp-flow-entries 64" ps_ steer "$port" --proto udp --policy round-robin --udp-flow-entries 64
	run "$CLI" flows -a 127.0.0.1 -p "$port" -c 500 -n 4 >"$DIR/tf.client"
	status "$port" >"$DIR/tf.status"
	stop_workers tf
	check "500 clients × 4: 2000 answered ($(tail -1 "$DIR/tf.client"))" grep -q 'datagrams 2000 answered 2000$' "$DIR/tf.client"
	python3 - "$DIR/tf.status" "$DIR/tf" >"$DIR/tf.cmp" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
r, t = d["reasons"], d["udp"]["flow_table"]
own = {int(p): int(open(os.path.join(sys.argv[2], p)).read().split()[1]) for p in os.listdir(sys.argv[2])}
ps = {m["pid"]: m["selected"] for m in d["members"]}
fall = sum(v for k, v in r.items() if k.startswith("fallback_"))
print("calls", r["calls"], "hit+placed", r["udp_flow_hit"] + r["udp_flow_placed"], "inserts", t["inserts"],
      "entries", t["entries"], "capacity", t["capacity"], "evicted", t["evicted"], "fallbacks", fall,
      "insert_failed", r["udp_flow_insert_failed"], "equal" if own == ps else "DIFFER")
ok = (r["calls"] == 2000 and r["udp_flow_hit"] + r["udp_flow_placed"] == 2000 and fall == 0 and
      t["evicted"] == t["inserts"] - t["entries"] > 0 and t["entries"] <= t["capacity"] == 64 and own == ps)
sys.exit(0 if ok else 1)
PY
	local rc=$?
	check "evictions counted, every datagram by flow or placed, 0 fallbacks, workers' counts = portscope's ($(cat "$DIR/tf.cmp"))" \
		test "$rc" -eq 0
}

t_bad_input() {
	local port=19906 W
	workers bi -p "$port" -a 127.0.0.1 -w 2
	W=($(pids bi))
	expect2() {
		local n=$1 rc
		shift
		ps_ steer "$@" >/dev/null 2>"$DIR/bi.err"
		rc=$?
		check "$n: exit 2, one line ($(cat "$DIR/bi.err"))" test "$rc" -eq 2 -a "$(wc -l <"$DIR/bi.err")" -eq 1
	}
	expect2 "--quic-cid 0:9" "$port" --proto udp --quic-cid 0:9
	expect2 "--quic-cid 248:1" "$port" --proto udp --quic-cid 248:1
	expect2 "--udp-flows maybe" "$port" --proto udp --udp-flows maybe
	expect2 "--udp-idle 0" "$port" --proto udp --udp-idle 0
	expect2 "--quic-id not hex" "$port" --proto udp --quic-id "${W[0]}"=xyz
	expect2 "--quic-id of a pid not in the group" "$port" --proto udp --quic-id 1=01
	expect2 "two members claiming one id" "$port" --proto udp --quic-cid 0:1 --quic-id "${W[0]}"=01 --quic-id "${W[1]}"=01
	check "nothing steered after refusals" bash -c "! ls -d /sys/fs/bpf/portscope/steer/net$NSINO-udp-*-$port 2>/dev/null"
	ps_ steer "$port" --proto udp >/dev/null
	expect2 "--udp-flow-entries on a steered group" "$port" --proto udp --udp-flow-entries 128
	stop_workers bi
}

# the counters in metrics (Prometheus)
t_metrics() {
	local port=19907
	workers me -p "$port" -a 127.0.0.1 -w 3
	ps_ steer "$port" --proto udp --policy round-robin >/dev/null
	run "$CLI" flows -a 127.0.0.1 -p "$port" -c 30 -n 10 >/dev/null
	ps_ metrics -i lo >"$DIR/me.prom" 2>"$DIR/me.err"
	stop_workers me
	check "metrics: 30 flows held, 270 datagrams by flow, 30 placed, table of 65536" python3 - "$DIR/me.prom" "$port" <<'PY'
import re, sys
t, port = open(sys.argv[1]).read(), sys.argv[2]
def v(name, extra=""):
    return sum(float(m) for m in re.findall(r'^%s\{[^}]*port="%s"[^}]*%s[^}]*\} (\S+)$' % (name, port, extra), t, re.M))
assert v("portscope_steer_udp_flows") == 30, t
assert v("portscope_steer_udp_flows_placed_total") == 30
assert v("portscope_steer_udp_datagrams_total", 'how="flow"') == 270
assert v("portscope_steer_udp_datagrams_total", 'how="placed"') == 30
assert v("portscope_steer_udp_flow_table_capacity") == 65536
assert v("portscope_steer_udp_flow_table_evicted_total") == 0
assert v("portscope_steer_quic_cid_total", 'result="hit"') == 0
PY
}

# A fallback for lib.sh without the runner: run every t_ function (or
# those in TESTS), setup first and teardown at exit.
if ! declare -F run_tests >/dev/null; then
	run_tests() {
		local t
		trap teardown EXIT
		setup
		for t in ${TESTS:-$(grep -oE '^t_[a-z0-9_]+\(\)' "$0" | tr -d '()')}; do
			echo "--- $t"
			"$t"
		done
		finish
	}
fi
run_tests
