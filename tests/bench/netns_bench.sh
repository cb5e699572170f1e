#!/usr/bin/env bash
# What --all-netns costs on a host of many network namespaces: NS namespaces
# (default 100), each with an rpserver of L reuseport listeners on tcp/8080
# (default 10: NS x L listeners, one process each).
#   groups --all-netns: wall and CPU time of one run (median of 5), and the
#     same in one namespace for scale;
#   top --all-netns at 1 s for a minute (the observer on a veth in a
#     namespace of its own): its CPU over the 61 s, start-up and every
#     reading of the socket tables included, as a share of one core; and how
#     old the listeners it showed got (it reads them again once they are
#     older than 100x what reading them cost).
# Prints JSON lines (tests/bench/run.sh files them); deletes what it made.
#   tests/bench/netns_bench.sh [NS] [L]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PS=$ROOT/build/portscope
SRV=$ROOT/build/tests/tools/rpserver
NS=${1:-100} L=${2:-10}
P=ps-nsb-$$
DIR=$(mktemp -d)

cleanup() {
	local i pids
	for ((i = 0; i < NS; i++)); do
		pids=$(ip netns pids "$P-$i" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill $pids 2>/dev/null
	done
	nsenter --net=/run/netns/"$P-obs" "$PS" detach >/dev/null 2>&1
	wait 2>/dev/null
	for ((i = 0; i < NS; i++)); do ip netns del "$P-$i" 2>/dev/null; done
	ip netns del "$P-obs" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

for ((i = 0; i < NS; i++)); do
	ip netns add "$P-$i" && ip -n "$P-$i" link set lo up
	nsenter --net=/run/netns/"$P-$i" "$SRV" -p 8080 -w "$L" -d "$DIR" >"$DIR/pids.$i" &
done
# every listener up before measuring
for ((i = 0; i < NS; i++)); do
	for ((t = 0; t < 100; t++)); do
		[ "$(wc -l <"$DIR/pids.$i")" -ge "$L" ] && break
		sleep 0.1
	done
done
ip netns add "$P-obs"
ip -n "$P-obs" link add ve0 type veth peer name ve1
ip -n "$P-obs" link set ve0 up && ip -n "$P-obs" link set ve1 up
nsenter --net=/run/netns/"$P-obs" "$PS" attach -i ve0 >/dev/null

python3 - "$PS" "$P" "$NS" "$L" <<'PY'
import json, resource, subprocess, sys, time
ps, pfx, ns, l = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def run(args):
    """wall s, user s, system s of one child run"""
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    out = subprocess.run(args, stdout=subprocess.PIPE, check=True).stdout
    w = time.monotonic() - t
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, a.ru_utime - b.ru_utime, a.ru_stime - b.ru_stime, out

def median(runs):
    return sorted(runs, key=lambda r: r[1] + r[2])[len(runs) // 2]

# groups --all-netns: every namespace entered, one /proc scan
runs = [run([ps, "groups", "--all-netns", "--port", "8080", "--json"]) for _ in range(5)]
groups = sum(1 for line in runs[0][3].decode().splitlines() if f'"name":"{pfx}-' in line)
members = sum(line.count('"cookie"') for line in runs[0][3].decode().splitlines() if f'"name":"{pfx}-' in line)
w, u, s, _ = median(runs)
one = median([run(["nsenter", f"--net=/run/netns/{pfx}-0", ps, "groups", "--port", "8080", "--json"])
              for _ in range(5)])
print(json.dumps({"bench": "netns_groups", "namespaces": ns, "listeners_each": l, "groups_seen": groups,
                  "members_seen": members, "wall_ms": round(w * 1000, 1), "user_ms": round(u * 1000, 1),
                  "sys_ms": round(s * 1000, 1), "one_ns_wall_ms": round(one[0] * 1000, 1),
                  "one_ns_cpu_ms": round((one[1] + one[2]) * 1000, 1)}))

# top --all-netns for a minute at 1 s: CPU over wall time
w, u, s, out = run(["nsenter", f"--net=/run/netns/{pfx}-obs", ps, "top", "--all-netns", "--json",
                    "--count", "61", "--interval", "1"])
ages = [json.loads(line).get("listeners_age_s", 0) for line in out.decode().splitlines()]
print(json.dumps({"bench": "netns_top", "namespaces": ns, "listeners_each": l, "seconds": round(w, 1),
                  "cpu_ms": round((u + s) * 1000, 1), "user_ms": round(u * 1000, 1), "sys_ms": round(s * 1000, 1),
                  "core_pct_at_1s": round((u + s) / w * 100, 2), "listeners_max_age_s": max(ages)}))
PY
