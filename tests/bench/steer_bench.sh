#!/usr/bin/env bash
# Steering, measured on nginx (4 workers, reuseport) in a namespace:
#  - new-connection rate (wrk -H 'Connection: close'): kernel default vs each
#    policy, rounds interleaved;
#  - balance with 8 keep-alive connections: requests per worker, max/mean,
#    kernel default vs least-conn;
#  - weighted 4:3:2:1: L1 error of the shares against the configuration.
#   tests/bench/steer_bench.sh [SECONDS] [ROUNDS]   (default 4 3); JSON lines
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PS=${PS:-$ROOT/build/portscope}
SECS=${1:-4} ROUNDS=${2:-3}
NS=ps-sbench-$$
D=$(mktemp -d)
cleanup() {
	ip netns exec "$NS" nginx -c "$D/nginx.conf" -s stop 2>/dev/null
	sleep 0.3
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null; done
	rm -rf /sys/fs/bpf/portscope/steer/net"$(ip netns exec "$NS" stat -L -c %i /proc/self/ns/net 2>/dev/null)"-* 2>/dev/null
	rmdir /sys/fs/bpf/portscope/steer /sys/fs/bpf/portscope 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up
cat >"$D/nginx.conf" <<CONF
worker_processes 4;
pid $D/nginx.pid;
error_log $D/error.log;
events { worker_connections 4096; }
http {
	log_format pidlog '\$pid';
	access_log $D/access.log pidlog buffer=64k flush=100ms;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:8088 reuseport backlog=4096; location / { return 200 "ok\n"; } }
}
CONF
ip netns exec "$NS" nginx -c "$D/nginx.conf" -e "$D/error.log"
sleep 0.5
W=($(ip netns exec "$NS" ps -o pid= --ppid "$(cat "$D/nginx.pid")"))
ps_() { nsenter --net=/run/netns/"$NS" "$PS" "$@" >/dev/null; }
rps() {	# wrk ARGS…: requests/s
	ip netns exec "$NS" wrk -t2 -d"${SECS}s" "$@" http://127.0.0.1:8088/ 2>/dev/null |
		awk '/^Requests\/sec/ {print $2}'
}
per_worker() {	# requests per worker since line $1 of the access log
	sleep 0.3
	tail -n +"$(($1 + 1))" "$D/access.log" | sort | uniq -c | awk '{print $1}' | tr '\n' ' '
}
set_policy() {
	case $1 in
	default) ps_ steer off 8088 2>/dev/null ;;	# already default at first
	weighted) ps_ steer 8088 --policy weighted --weight "${W[0]}"=4 --weight "${W[1]}"=3 \
		--weight "${W[2]}"=2 --weight "${W[3]}"=1 ;;
	*) ps_ steer 8088 --policy "$1" --weight "${W[0]}"=1 --weight "${W[1]}"=1 \
		--weight "${W[2]}"=1 --weight "${W[3]}"=1 ;;
	esac
}

# 1. new-connection rate
for r in $(seq "$ROUNDS"); do
	for p in default hash round-robin weighted least-conn source-affinity cpu; do
		set_policy "$p"
		echo "$p $(rps -c32 -H 'Connection: close')"
	done
done >"$D/rate"
# 2. balance of 8 keep-alive connections
for p in default least-conn; do
	for r in $(seq "$ROUNDS"); do
		set_policy "$p"
		n=$(wc -l <"$D/access.log")
		rps -c8 >/dev/null
		echo "$p $(per_worker "$n")"
	done
done >"$D/balance"
# 3. weighted shares
set_policy weighted
n=$(wc -l <"$D/access.log")
rps -c32 -H 'Connection: close' >/dev/null
sleep 0.3
tail -n +"$((n + 1))" "$D/access.log" >"$D/wlog"
python3 - "$D/rate" "$D/balance" "$D/wlog" "${W[@]}" <<'PY'
import collections, json, statistics, sys
rate = collections.defaultdict(list)
for l in open(sys.argv[1]):
    p, v = l.split()
    rate[p].append(float(v))
base = statistics.median(rate["default"])
for p, v in rate.items():
    print(json.dumps({"bench": "steer_rate", "policy": p, "median_rps": statistics.median(v),
                      "ratio_to_default": round(statistics.median(v) / base, 3)}))
bal = collections.defaultdict(list)
for l in open(sys.argv[2]):
    p, *c = l.split()
    c = [int(x) for x in c] + [0] * (4 - len(c))
    bal[p].append(max(c) / (sum(c) / 4))
for p, v in bal.items():
    print(json.dumps({"bench": "steer_balance", "policy": p, "keepalive_conns": 8,
                      "max_over_mean_median": round(statistics.median(v), 3), "runs": [round(x, 3) for x in v]}))
pids = [int(x) for x in sys.argv[4:]]
cnt = collections.Counter(int(l) for l in open(sys.argv[3]))
tot = sum(cnt[p] for p in pids)
want = [0.4, 0.3, 0.2, 0.1]
l1 = sum(abs(cnt[p] / tot - w) for p, w in zip(pids, want))
print(json.dumps({"bench": "steer_weighted", "weights": "4:3:2:1", "requests": tot,
                  "shares": [round(cnt[p] / tot, 4) for p in pids], "l1_error": round(l1, 4)}))
PY
