#!/usr/bin/env bash
# portscope ephemeral: a client namespace with ip_local_port_range narrowed
# to 100 ports opens real connections to a server namespace until connect()
# fails. At each step portscope's per-destination counts equal ss's, the
# free ports equal what connect() then really opens, the use reaches 100%
# and conflicts shows each EADDRNOTAVAIL with the client's pid; a second
# destination port still connects (ports are per 4-tuple) and is shown
# free; bind() before connect() exhausts every destination at once;
# TIME_WAIT counts equal ss's and hold their ports (until tcp_tw_reuse);
# top's client screen; the metrics and the shipped Prometheus alerts,
# tested by promtool against series a real Prometheus recorded from a real
# exhaustion run.
# timeout: 600
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ip nsenter ss python3 tmux promtool prometheus curl
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRV=$BUILD_DIR/tests/tools/rpserver
FILL=$BUILD_DIR/tests/tools/portfill
S=ps-eps-$$

DIR=$(mktemp -d)
RANGE_LO=40000 RANGE_HI=40099
BG=()

setup() {
	ip netns add "$S" || return 1
	ip -n "$S" link set lo up
	ip netns exec "$S" "$SRV" -p 8080 -a 0.0.0.0 -w 1 -k -d "$DIR" >"$DIR/s8080" &
	BG+=($!)
	ip netns exec "$S" "$SRV" -p 8081 -a 0.0.0.0 -w 1 -k -d "$DIR" >"$DIR/s8081" &
	BG+=($!)
	wait_for "$DIR/s8080" '[0-9]' && wait_for "$DIR/s8081" '[0-9]'
}

# the client namespaces: found by name (client_up runs in a command
# substitution, a subshell: what it appends to a list is lost)
clients() { ip netns list | awk '{print $1}' | grep -E "^ps-epc[0-9]+-$$\$"; }
teardown() {
	local p n
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
	tmux kill-session -t "$S" 2>/dev/null
	for n in $(clients) "$S"; do ns_kill "$n"; done
	wait 2>/dev/null
	for n in $(clients) "$S"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$DIR"
}

# client_up N: namespace ps-epcN-PID joined to the server by a veth pair
# (server 10.93.N.1, client 10.93.N.2), its range narrowed to 100 ports
client_up() {
	local c=ps-epc$1-$$
	ip netns add "$c" || return 1
	ip link add "s$1" netns "$S" type veth peer name vc netns "$c"
	ip -n "$c" link set lo up
	ip -n "$S" addr add "10.93.$1.1/24" dev "s$1"
	ip -n "$c" addr add "10.93.$1.2/24" dev vc
	ip -n "$S" link set "s$1" up
	ip -n "$c" link set vc up
	ip netns exec "$c" sysctl -qw net.ipv4.ip_local_port_range="$RANGE_LO $RANGE_HI"
	echo "$c"
}

# fill_start NS NAME ARGS...: a portfill in NS driven through fifos;
# fill NAME COMMAND: one command, its answer line on stdout
fill_start() {
	local ns=$1 name=$2
	shift 2
	mkfifo "$DIR/$name.in"
	ip netns exec "$ns" "$FILL" "$@" <"$DIR/$name.in" >"$DIR/$name.out" &
	BG+=($!)
	exec {FD}>"$DIR/$name.in"
	eval "FILL_FD_$name=$FD"
	wait_for "$DIR/$name.out" '^pid' || return 1
	eval "FILL_PID_$name=$(sed -n 's/^pid //p' "$DIR/$name.out")"
}
fill() {
	local fd n
	eval "fd=\$FILL_FD_$1"
	n=$(wc -l <"$DIR/$1.out")
	echo "$2" >&"$fd"
	wait_for "$DIR/$1.out" '.' 100
	while [ "$(wc -l <"$DIR/$1.out")" -le "$n" ]; do sleep 0.05; done
	tail -1 "$DIR/$1.out"
}

# eph NS ARGS...: one JSON snapshot of 'portscope ephemeral' in NS
eph() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$PS" ephemeral --json --once --interval 0.1 "$@"; }

# row FILE REMOTE PORT FIELD: a destination's field ("" when no row)
row() {
	python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for d in v["destinations"]:
    if d["remote"] == sys.argv[2] and d["port"] == int(sys.argv[3]):
        f = sys.argv[4]
        print(d["states"].get(f[7:], 0) if f.startswith("states.") else d[f])' "$@"
}

# ss_counts NS DST: "SOCKETS ESTAB TIME_WAIT PORTS EVEN ODD" toward DST by ss
ss_counts() {
	ip netns exec "$1" ss -Htan dst "$2" | awk -v lo=$RANGE_LO -v hi=$RANGE_HI '
		{ n++; st[$1]++; split($4, a, ":"); p = a[length(a)]; if (!(p in seen)) { seen[p] = 1; ports++
		  if (p >= lo && p <= hi) { if (p % 2) odd++; else even++ } } }
		END { printf "%d %d %d %d %d %d\n", n, st["ESTAB"], st["TIME-WAIT"], ports, even, odd }'
}

# same_as_ss NS REMOTE PORT: portscope's row equals ss (sockets, states,
# ports) and free = 100 - ports in the range, by parity too
same_as_ss() {
	local ns=$1 r=$2 p=$3 n e tw ports even odd
	read -r n e tw ports even odd < <(ss_counts "$ns" "$r:$p")
	eph "$ns" --to "$r:$p" >"$DIR/eph.json"
	[ "$(row "$DIR/eph.json" "$r" "$p" sockets)" = "$n" ] &&
	[ "$(row "$DIR/eph.json" "$r" "$p" states.ESTABLISHED)" = "$e" ] &&
	[ "$(row "$DIR/eph.json" "$r" "$p" states.TIME_WAIT)" = "$tw" ] &&
	[ "$(row "$DIR/eph.json" "$r" "$p" ports)" = "$ports" ] &&
	[ "$(row "$DIR/eph.json" "$r" "$p" free_even)" = "$((50 - even))" ] &&
	[ "$(row "$DIR/eph.json" "$r" "$p" free_odd)" = "$((50 - odd))" ]
}
export -f ss_counts row eph
export RANGE_LO RANGE_HI DIR PS

# fill one destination step by step until connect() fails: ss's counts at
# every step, the even ports first, free = what connect() then opens, 100%
# used, and each EADDRNOTAVAIL in 'conflicts' with the client's pid
t_exhaust_steps() {
	local c step f r tr
	c=$(client_up 1) || return 1
	fill_start "$c" f1 -a 10.93.1.1 -p 8080 || return 1
	nsenter --net=/run/netns/"$c" "$PS" -v conflicts --json >"$DIR/c1.json" 2>"$DIR/c1.err" &
	tr=$!
	BG+=($tr)
	wait_for "$DIR/c1.err" tracing 300
	check "before any connection: 100 free toward 10.93.1.1:8080" \
		test "$(eph "$c" --to 10.93.1.1:8080 | tee "$DIR/e0.json" | row /dev/stdin 10.93.1.1 8080 free)" = 100
	for step in 10 20 30 40 50 60; do
		r=$(fill f1 "open 10")
		check "$step connections ($r): sockets, states, ports, free even/odd = ss's ($(ss_counts "$c" 10.93.1.1:8080))" \
			same_as_ss "$c" 10.93.1.1 8080
	done
	check "connect() took even ports first: at 50 all even, then odd (ss)" \
		bash -c "[ \"\$(ss_counts '$c' 10.93.1.1:8080 | awk '{print \$5, \$6}')\" = '50 10' ]"
	f=$(eph "$c" --to 10.93.1.1:8080 | row /dev/stdin 10.93.1.1 8080 free)
	r=$(fill f1 "open 1000")
	check "portscope said $f free; connect() then opened exactly that many ($r)" \
		test "$r" = "opened $f open 100 failed 1 errno EADDRNOTAVAIL"
	check "100 connections: ss's counts" same_as_ss "$c" 10.93.1.1 8080
	eph "$c" --to 10.93.1.1:8080 >"$DIR/e100.json"
	check "used 100%, 0 free, exhausted now" bash -c "[ \"\$(row '$DIR/e100.json' 10.93.1.1 8080 used_ratio)\" = 1.0 ] &&
		[ \"\$(row '$DIR/e100.json' 10.93.1.1 8080 free)\" = 0 ] && [ \"\$(row '$DIR/e100.json' 10.93.1.1 8080 exhausted_in_s)\" = 0 ]"
	check "... owned by portfill (100 sockets)" grep -q "\"processes\":\[{\"pid\":$FILL_PID_f1,\"comm\":\"portfill\",\"sockets\":100}\]" "$DIR/e100.json"
	fill f1 "open 1" >/dev/null
	fill f1 "open 1" >/dev/null
	sleep 0.5
	kill -INT "$tr"
	wait "$tr"
	cat "$DIR/c1.json" | sed -n 1p
	check "conflicts: 3 EADDRNOTAVAIL, each with portfill's pid $FILL_PID_f1 and the reason" python3 -c "
import json
ev = [json.loads(l) for l in open('$DIR/c1.json')]
assert len(ev) == 3, len(ev)
for e in ev:
    assert (e['call'], e['errno'], e['pid'], e['addr'], e['port']) == ('connect', 'EADDRNOTAVAIL', $FILL_PID_f1, '10.93.1.1', 8080), e
    assert e['reason'] == 'all 100 connect ports toward 10.93.1.1:8080 in use (100 by connections to it: 100 ESTABLISHED, 0 TIME_WAIT; 0 held by bind() for every destination; range 40000-40099)', e['reason']"
}

# a second destination port from the same client: free while the first is
# exhausted, and it connects through a port already used toward the first
t_second_destination() {
	local c r p
	c=$(client_up 2) || return 1
	fill_start "$c" f2 -a 10.93.2.1 -p 8080 || return 1
	r=$(fill f2 "open 1000")
	check "100 connections to :8080, then EADDRNOTAVAIL ($r)" test "$r" = "opened 100 open 100 failed 1 errno EADDRNOTAVAIL"
	eph "$c" --to 10.93.2.1:8081 >"$DIR/e2.json"
	check ":8081 before connecting: no socket, 100 free, 0% used" \
		bash -c "[ \"\$(row '$DIR/e2.json' 10.93.2.1 8081 sockets) \$(row '$DIR/e2.json' 10.93.2.1 8081 free) \$(row '$DIR/e2.json' 10.93.2.1 8081 used_ratio)\" = '0 100 0.0' ]"
	r=$(fill f2 "open 1 8081")
	check "a connection to :8081 opens ($r)" test "$r" = "opened 1 open 101 failed 0 errno 0"
	p=$(ip netns exec "$c" ss -Htan dst 10.93.2.1:8081 | awk '{n = split($4, a, ":"); print a[n]}')
	check "... from port $p, which also carries a connection to :8080 (the 4-tuples differ)" \
		bash -c "ip netns exec '$c' ss -Htan dst 10.93.2.1:8080 | grep -q ':$p '"
	check ":8081: sockets, states, ports, free = ss's" same_as_ss "$c" 10.93.2.1 8081
	check ":8080 still exhausted" test "$(eph "$c" --to 10.93.2.1:8080 | row /dev/stdin 10.93.2.1 8080 free)" = 0
	check "--netns $c from outside: the same rows" bash -c "[ \"\$('$PS' ephemeral --netns '$c' --json --once --interval 0.1 --to 10.93.2.1:8081 |
		row /dev/stdin 10.93.2.1 8081 free)\" = 99 ]"
}

# bind() before connect(): each port is taken from the whole range and is
# closed to every destination; 100 of them exhaust one never used
t_bind_before_connect() {
	local c d r tr
	c=$(client_up 3) || return 1
	fill_start "$c" b3 -a 10.93.3.1 -p 8080 -b || return 1
	r=$(fill b3 "open 30")
	eph "$c" --to 10.93.3.1:8081 >"$DIR/e3.json"
	check "30 bound first ($r): held by bind() 30 (read from the bind buckets)" \
		grep -q '"held_by_bind":{"tcp":30,"udp":0,"exact":true}' "$DIR/e3.json"
	check "bind(0) took odd ports first (ss: 0 even, 30 odd)" \
		bash -c "[ \"\$(ss_counts '$c' 10.93.3.1:8080 | awk '{print \$5, \$6}')\" = '0 30' ]"
	check ":8081, never used, has 70 free" test "$(row "$DIR/e3.json" 10.93.3.1 8081 free)" = 70
	fill_start "$c" p3 -a 10.93.3.1 -p 8081 || return 1
	r=$(fill p3 "open 1000")
	check "and connect() opens exactly 70 to it ($r)" test "$r" = "opened 70 open 70 failed 1 errno EADDRNOTAVAIL"
	d=$(client_up 4) || return 1
	fill_start "$d" b4 -a 10.93.4.1 -p 8080 -b || return 1
	nsenter --net=/run/netns/"$d" "$PS" -v conflicts --json >"$DIR/c4.json" 2>"$DIR/c4.err" &
	tr=$!
	BG+=($tr)
	wait_for "$DIR/c4.err" tracing 300
	r=$(fill b4 "open 1000")
	check "binding first, 100 ports, then bind() fails ($r)" test "$r" = "opened 100 open 100 failed 1 errno EADDRINUSE"
	eph "$d" --to 10.93.4.1:8081 >"$DIR/e4.json"
	check ":8081, never used, exhausted at once: 0 free, 100% used, max used 1.0" \
		bash -c "[ \"\$(row '$DIR/e4.json' 10.93.4.1 8081 free) \$(row '$DIR/e4.json' 10.93.4.1 8081 used_ratio)\" = '0 1.0' ] &&
			 grep -q '\"max_used_ratio\":1.0000' '$DIR/e4.json'"
	fill_start "$d" p4 -a 10.93.4.1 -p 8081 || return 1
	r=$(fill p4 "open 1")
	check "a plain connect() to :8081 fails at once ($r)" test "$r" = "opened 0 open 0 failed 1 errno EADDRNOTAVAIL"
	sleep 0.5
	kill -INT "$tr"
	wait "$tr"
	check "conflicts: bind() EADDRINUSE (no free port for bind) and connect() EADDRNOTAVAIL (all held by bind)" python3 -c "
import json
ev = [json.loads(l) for l in open('$DIR/c4.json')]
assert [(e['call'], e['errno']) for e in ev] == [('bind', 'EADDRINUSE'), ('connect', 'EADDRNOTAVAIL')], ev
assert ev[0]['pid'] == $FILL_PID_b4 and ev[1]['pid'] == $FILL_PID_p4
assert ev[0]['reason'] == 'no free port for bind() in 40000-40099: 100 of 100 usable ports in use (100 held by bind())', ev[0]['reason']
assert ev[1]['reason'] == 'all 100 connect ports toward 10.93.4.1:8081 in use (0 by connections to it: 0 ESTABLISHED, 0 TIME_WAIT; 100 held by bind() for every destination; range 40000-40099)', ev[1]['reason']"
}

# TIME_WAIT: connections the client closes wait 60 s holding their port;
# counts equal ss's; tcp_tw_reuse=1 lets connect() take them back, as
# portscope then counts them free
t_time_wait() {
	local c r tw i
	c=$(client_up 5) || return 1
	fill_start "$c" f5 -a 10.93.5.1 -p 8080 || return 1
	fill f5 "open 100" >/dev/null
	r=$(fill f5 "close 40")
	# the server answers the FINs (FIN_WAIT2 -> TIME_WAIT): wait for all 40, 5 s at most
	for i in $(seq 50); do
		tw=$(ip netns exec "$c" ss -Htan state time-wait dst 10.93.5.1:8080 | wc -l)
		[ "$tw" -ge 40 ] && break
		sleep 0.1
	done
	eph "$c" --to 10.93.5.1:8080 >"$DIR/e5.json"
	check "40 closed ($r): TIME_WAIT $(row "$DIR/e5.json" 10.93.5.1 8080 states.TIME_WAIT) = ss -tan state time-wait ($tw) = 40" \
		test "$(row "$DIR/e5.json" 10.93.5.1 8080 states.TIME_WAIT) $tw" = "40 40"
	check "all counts equal ss's" same_as_ss "$c" 10.93.5.1 8080
	r=$(fill f5 "open 1")
	check "TIME_WAIT holds its ports (tcp_tw_reuse=2, not loopback): 0 free, and connect() fails ($r)" \
		test "$(row "$DIR/e5.json" 10.93.5.1 8080 free) $r" = "0 opened 0 open 60 failed 1 errno EADDRNOTAVAIL"
	ip netns exec "$c" sysctl -qw net.ipv4.tcp_tw_reuse=1
	sleep 2	# reuse needs the last timestamp a second old
	eph "$c" --to 10.93.5.1:8080 >"$DIR/e5b.json"
	check "tcp_tw_reuse=1: portscope counts the 40 TIME_WAIT ports free" test "$(row "$DIR/e5b.json" 10.93.5.1 8080 free)" = 40
	r=$(fill f5 "open 1000")
	check "... and connect() takes exactly those 40 ($r)" test "$r" = "opened 40 open 100 failed 1 errno EADDRNOTAVAIL"
}

# top's client screen (key c) in a terminal: the destinations and their
# sockets; c again is the port view
t_top_clients() {
	local c
	c=$(client_up 6) || return 1
	fill_start "$c" f6 -a 10.93.6.1 -p 8080 || return 1
	fill f6 "open 20" >/dev/null
	tmux new-session -d -s "$S" -x 200 -y 30 "nsenter --net=/run/netns/$c $PS top -i lo --interval 0.5"
	sleep 1.5
	tmux send-keys -t "$S" c
	sleep 1.5
	tmux capture-pane -p -t "$S" >"$DIR/top.txt"
	cat "$DIR/top.txt"
	check "key c: the client screen, its range and the destination with 20 sockets" \
		bash -c "grep -q 'client ports (ephemeral) per destination' '$DIR/top.txt' &&
			 grep -q 'range 40000-40099: 100 usable' '$DIR/top.txt' &&
			 grep -qE '^tcp +10\.93\.6\.2 +10\.93\.6\.1:8080 +20 +0 +20 ' '$DIR/top.txt'"
	tmux send-keys -t "$S" c
	sleep 1
	tmux capture-pane -p -t "$S" >"$DIR/top2.txt"
	check "c again: the port view" grep -q '^PROT PORT' "$DIR/top2.txt"
	tmux send-keys -t "$S" q
	sleep 0.5
	check "q quits" bash -c "! tmux has-session -t '$S' 2>/dev/null"
}

# the metrics a real Prometheus scrapes during a real exhaustion run; the
# shipped alert rules pass promtool check, and promtool test against the
# series recorded here (and against the committed recording)
t_metrics_alert() {
	local c i r end start
	c=$(client_up 7) || return 1
	check "promtool check rules docs/alerts/portscope.rules.yml" \
		promtool check rules "$ROOT/docs/alerts/portscope.rules.yml"
	check "promtool test rules: the committed recording" \
		bash -c "cd '$ROOT/docs/alerts' && promtool test rules portscope.rules.test.yml"
	nsenter --net=/run/netns/"$c" "$PS" metrics --ephemeral --conflicts --listen 127.0.0.1:19437 2>"$DIR/m.err" &
	BG+=($!)
	cat >"$DIR/prometheus.yml" <<EOF2
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: portscope
    static_configs: [ { targets: ['127.0.0.1:19437'] } ]
EOF2
	ip netns exec "$c" prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/tsdb" \
		--web.listen-address=127.0.0.1:19097 >"$DIR/prom.log" 2>&1 &
	BG+=($!)
	fill_start "$c" f7 -a 10.93.7.1 -p 8080 || return 1
	for i in $(seq 40); do
		ip netns exec "$c" curl -s --max-time 1 "127.0.0.1:19097/api/v1/query?query=up" | grep -q '"1"\]' && break
		sleep 0.5
	done
	start=$(date +%s)
	sleep 3
	for i in $(seq 10); do fill f7 "open 10" >/dev/null; sleep 1; done
	r=$(fill f7 "open 3")
	sleep 1
	r=$(fill f7 "open 2")
	sleep 8
	end=$(date +%s)
	ip netns exec "$c" curl -s "127.0.0.1:19437/metrics" >"$DIR/m.txt"
	check "the exposition passes promtool check metrics" bash -c "promtool check metrics <'$DIR/m.txt'"
	check "max used ratio 1, the destination's series, 2 connect EADDRNOTAVAIL counted" \
		bash -c "grep -q '^portscope_ephemeral_max_used_ratio 1.0000$' '$DIR/m.txt' &&
			 grep -q '^portscope_ephemeral_ports_in_use{proto=\"tcp\",local=\"10.93.7.2\",remote=\"10.93.7.1\",port=\"8080\"} 100$' '$DIR/m.txt' &&
			 grep -q '^portscope_conflicts_total{call=\"connect\",errno=\"EADDRNOTAVAIL\",proto=\"tcp\",port=\"8080\"} 2$' '$DIR/m.txt'"
	ip netns exec "$c" /usr/bin/python3 "$ROOT/tests/tools/alert_series.py" "http://127.0.0.1:19097" "$start" "$end" \
		"$ROOT/docs/alerts/portscope.rules.yml" >"$DIR/alert.test.yml" 2>"$DIR/alert.err"
	cat "$DIR/alert.err"
	[ -z "${KEEP_ALERT_TEST:-}" ] || cp "$DIR/alert.test.yml" "$KEEP_ALERT_TEST"
	check "promtool test rules: the series Prometheus recorded in this run" \
		bash -c "cd '$DIR' && cp '$ROOT/docs/alerts/portscope.rules.yml' . && promtool test rules alert.test.yml"
}

# bad input: one line on stderr, exit 2, nothing on stdout
t_bad_input() {
	local args st
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		"$PS" ephemeral $args >"$DIR/bad.out" 2>"$DIR/bad.err"
		st=$?
		check "ephemeral $args: exit 2, one line ($(head -1 "$DIR/bad.err"))" \
			bash -c "[ $st -eq 2 ] && [ \$(wc -l <'$DIR/bad.err') -eq 1 ] && [ ! -s '$DIR/bad.out' ]"
	done <<'EOF2'
--to 10.0.0.1:0
--to 10.0.0.1:65536
--to nonsense
--to [fd00::1
--to 10.0.0.1:80:90
--sort fastest
--top -1
--interval 0
--count 0
--port 0
--proto sctp
--netns no-such-namespace
stray
EOF2
	"$PS" metrics --ephemeral-top 1001 >"$DIR/bad.out" 2>"$DIR/bad.err"
	st=$?
	check "metrics --ephemeral-top 1001: exit 2, one line ($(head -1 "$DIR/bad.err"))" \
		bash -c "[ $st -eq 2 ] && [ \$(wc -l <'$DIR/bad.err') -eq 1 ] && [ ! -s '$DIR/bad.out' ]"
}

run_tests
