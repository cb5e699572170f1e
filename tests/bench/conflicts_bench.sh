#!/usr/bin/env bash
# The conflicts tracer's cost, in a private namespace:
# - in the kernel: ns per call of its sys_exit_bind program, on the path it
#   must not slow (bind() succeeding: one comparison) and on the failing
#   path (event built and sent), from the kernel's own BPF statistics
#   (kernel.bpf_stats_enabled, on for the measurement only);
# - for the caller: bind() back to back (bindstorm -r 0), succeeding and
#   failing, and getppid() (not traced: what enabled syscall tracepoints
#   cost every other system call), without the tracer and with it
#   (--summary: events consumed), ROUNDS interleaved rounds, medians;
# - in userspace: the CPU of 'conflicts --json' explaining 1,000 failing
#   binds a second for SECS seconds.
# JSON lines on stdout.   tests/bench/conflicts_bench.sh [SECS] [ROUNDS]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PS=$ROOT/build/portscope
STORM=$ROOT/build/tests/tools/bindstorm
SECS=${1:-5} ROUNDS=${2:-5} N=200000
NS=ps-cbench-$$
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
TR=
cleanup() {
	[ -n "$TR" ] && kill -INT "$TR" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS0"
	kill $(ip netns pids "$NS" 2>/dev/null) 2>/dev/null	# bash's kill: no procps
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up
ip netns exec "$NS" socat TCP4-LISTEN:7777,bind=127.0.0.1 /dev/null &
sleep 0.3
in_ns() { ip netns exec "$NS" "$@"; }
storm() { in_ns "$STORM" -p 7777 -r 0 -n "$N" "$@" | sed -n 's/.*ns_per_call \([0-9]*\).*/\1/p'; }
tracer_on() {
	nsenter --net=/run/netns/"$NS" "$PS" -v conflicts "$@" >/dev/null 2>"$NS.err" &
	TR=$!
	for _ in $(seq 50); do grep -q tracing "$NS.err" 2>/dev/null && break; sleep 0.1; done
}
tracer_off() { kill -INT "$TR"; wait "$TR" 2>/dev/null; TR=; rm -f "$NS.err"; }
median() { tr ' ' '\n' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# the program's own cost, per call (bpftool: run_time_ns / run_cnt)
prog_ns() {
	bpftool -j prog show name exit_bind 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)
p = p[0] if isinstance(p, list) else p
print("%.1f" % (p.get("run_time_ns", 0) / max(p.get("run_cnt", 1), 1)))'
}
sysctl -qw kernel.bpf_stats_enabled=1
tracer_on --summary
in_ns "$STORM" -s -r 0 -n "$N" >/dev/null
ok_ns=$(prog_ns)
tracer_off
tracer_on --summary
in_ns "$STORM" -p 7777 -r 0 -n "$N" >/dev/null
fail_ns=$(prog_ns)
tracer_off
sysctl -qw kernel.bpf_stats_enabled="$STATS0"

# the caller's view, interleaved
ok0= ok1= f0= f1= g0= g1=
for _ in $(seq "$ROUNDS"); do
	ok0+="$(storm -s) " f0+="$(storm) " g0+="$(storm -g -n 2000000) "
	tracer_on --summary
	ok1+="$(storm -s) " f1+="$(storm) " g1+="$(storm -g -n 2000000) "
	tracer_off
done

# userspace: explaining 1,000 conflicts a second
tracer_on --json
c0=$(awk '{print $14 + $15}' /proc/"$TR"/stat)
in_ns "$STORM" -p 7777 -r 1000 -t "$SECS" >/dev/null
c1=$(awk '{print $14 + $15}' /proc/"$TR"/stat)
tracer_off
cpu_ms=$(( (c1 - c0) * 1000 / $(getconf CLK_TCK) / SECS ))

printf '{"bench":"conflicts_prog","ok_ns":%s,"fail_ns":%s}\n' "$ok_ns" "$fail_ns"
printf '{"bench":"conflicts_call","bind_ok_ns":%s,"bind_ok_traced_ns":%s,"bind_fail_ns":%s,"bind_fail_traced_ns":%s,"getppid_ns":%s,"getppid_traced_ns":%s,"rounds":%s,"calls":%s}\n' \
	"$(echo $ok0 | median)" "$(echo $ok1 | median)" "$(echo $f0 | median)" "$(echo $f1 | median)" \
	"$(echo $g0 | median)" "$(echo $g1 | median)" "$ROUNDS" "$N"
printf '{"bench":"conflicts_user","rate":1000,"seconds":%s,"cpu_ms_per_s":%s}\n' "$SECS" "$cpu_ms"
