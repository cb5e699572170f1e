#!/usr/bin/env bash
# Prometheus metrics: the exposition passes promtool, a real Prometheus
# server scraping the endpoint on loopback records the series with the
# values of known traffic, the textfile is written whole, and a
# non-loopback listen address is refused unless asked for.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 ip nsenter promtool prometheus curl

SRV=$BUILD_DIR/tests/tools/rpserver
CLI=$BUILD_DIR/tests/tools/rpclient
NS=ps-metrics-$$
DIR=$(mktemp -d)
PIDS=()
NSINO=

# known traffic every test reads: observer on lo, a 2-worker group on 8080
# steered round-robin, 200 connections
setup() {
	ip netns add "$NS" && ip -n "$NS" link set lo up
	NSINO=$(ip netns exec "$NS" stat -L -c %i /proc/self/ns/net)
	ip netns exec "$NS" "$SRV" -p 8080 -w 2 -d "$DIR" >"$DIR/pids" &
	PIDS+=($!)
	wait_for "$DIR/pids" '[0-9]' && sleep 0.2
	check "attach -i lo" ps_ attach -i lo
	check "steer 8080 round-robin" ps_ steer 8080 --policy round-robin
	ip netns exec "$NS" "$CLI" -p 8080 -n 200 -q >/dev/null
}
teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	ns_kill "$NS"
	wait 2>/dev/null
	nsenter --net=/run/netns/"$NS" "$PS" detach >/dev/null 2>&1
	remove_steer_pins "$NSINO"
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}
ps_() { nsenter --net=/run/netns/"$NS" "$PS" "$@"; }

t_top_json() {
	ps_ top --once --json --interval 0.2 --port 8080 >"$DIR/top.json"
	check "top --json carries each steered member's counters (100 100)" python3 -c "
import json; t = json.load(open('$DIR/top.json'))
sel = sorted(p['selected'] for r in t['ports'] for l in r['listeners'] for p in l['processes'] if 'selected' in p)
assert sel == [100, 100], sel"
}

t_exposition() {
	ps_ metrics >"$DIR/m.txt"
	check "stdout exposition passes promtool" bash -c "promtool check metrics <'$DIR/m.txt'"
	check "tcp/8080: 200 new connections" grep -q '^portscope_port_new_connections_total{proto="tcp",port="8080"} 200$' "$DIR/m.txt"
	check "steering: 100 selected per member" \
		test "$(grep -c '^portscope_steer_selected_total{.*port="8080".*} 100$' "$DIR/m.txt")" -eq 2
	check "frame classes present" grep -q '^portscope_packets_total{class="parsed_ok"} [1-9]' "$DIR/m.txt"
}

t_textfile() {
	ps_ metrics --textfile "$DIR/portscope.prom" --once
	check "textfile written, passes promtool" bash -c "promtool check metrics <'$DIR/portscope.prom'"
	check "no temporary file left" test ! -e "$DIR/portscope.prom.tmp"
}

# a real Prometheus scrapes it
t_prometheus_scrape() {
	local i v
	nsenter --net=/run/netns/"$NS" "$PS" metrics --listen 127.0.0.1:19435 &
	PIDS+=($!)
	cat >"$DIR/prometheus.yml" <<EOF
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: portscope
    static_configs: [ { targets: ['127.0.0.1:19435'] } ]
EOF
	ip netns exec "$NS" prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/tsdb" \
		--web.listen-address=127.0.0.1:19090 >"$DIR/prom.log" 2>&1 &
	PIDS+=($!)
	q() { ip netns exec "$NS" curl -s --max-time 2 "http://127.0.0.1:19090/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; r = json.load(sys.stdin)["data"]["result"]; print(" ".join(sorted(x["value"][1] for x in r)))'; }
	for i in $(seq 40); do
		v=$(q 'portscope_port_new_connections_total{port="8080"}' 2>/dev/null)
		[ -n "$v" ] && break
		sleep 0.5
	done
	check "Prometheus recorded portscope_port_new_connections_total = 200 ($v)" test "$v" = 200
	check "Prometheus recorded the steering series (100 100)" test "$(q 'portscope_steer_selected_total{port="8080"}')" = "100 100"
	check "the scrape target is up" test "$(q 'up{job="portscope"}')" = 1
	check "/metrics only: 404 elsewhere" test "$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:19435/)" = 404
}

t_listen_addresses() {
	local st pub
	ps_ metrics --listen 0.0.0.0:19436 >/dev/null 2>"$DIR/pub.err"
	st=$?
	check "non-loopback refused (exit $st): $(cat "$DIR/pub.err")" bash -c "[ $st -eq 2 ] && [ \$(wc -l <'$DIR/pub.err') -eq 1 ]"
	nsenter --net=/run/netns/"$NS" "$PS" metrics --listen 0.0.0.0:19436 --listen-public &
	pub=$!
	PIDS+=("$pub")
	sleep 0.5
	check "--listen-public serves it" bash -c "ip netns exec $NS curl -s 127.0.0.1:19436/metrics | grep -q portscope_port_packets_total"
	kill "$pub"
	wait "$pub" 2>/dev/null
	ps_ metrics --listen 127.0.0.1:abc >/dev/null 2>"$DIR/bad.err"
	check "bad port in --listen: exit 2" test $? -eq 2
}

run_tests
