#!/usr/bin/env bash
# What one refresh of the live view costs with a full flow table: CPU time
# of `top --json` over 21 refreshes minus 1 (start-up cancels out), per
# refresh, as a share of one core at a 1 s interval. Local namespace only.
#   tests/bench/refresh.sh [FLOWS]   (default 65536)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PS=$ROOT/build/portscope
N=${1:-65536}
NS=ps-bench-$$
trap 'nsenter --net=/run/netns/$NS "$PS" detach >/dev/null 2>&1; ip netns del $NS' EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up
nsenter --net=/run/netns/"$NS" "$PS" attach -i lo --flow-entries "$N" >/dev/null
nsenter --net=/run/netns/"$NS" "$ROOT/build/tests/tools/fillflows" "$N" >/dev/null	# the namespace's observer
python3 - "$PS" "$NS" <<'PY'
import resource, subprocess, sys
ps, ns = sys.argv[1:3]
def cpu(count):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["nsenter", f"--net=/run/netns/{ns}", ps, "top", "--json", "--count", str(count),
                    "--interval", "0.1"], stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
runs = []
for _ in range(5):
    (u21, s21), (u1, s1) = cpu(21), cpu(1)
    runs.append(((u21 - u1) / 20, (s21 - s1) / 20))
runs.sort(key=lambda r: r[0] + r[1])
u, s = runs[2]
tot = [r[0] + r[1] for r in runs]
print(f"refresh with the flow table full: median {(u + s) * 1000:.1f} ms CPU (user {u * 1000:.1f}, "
      f"system {s * 1000:.1f}; min {tot[0] * 1000:.1f}, max {tot[-1] * 1000:.1f}) = "
      f"{(u + s) * 100:.1f}% of one core at 1 s")
PY
