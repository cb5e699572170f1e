#!/usr/bin/env bash
# make bench: every benchmark in one run, on this machine, side by side.
# Writes tests/bench/results.json (JSON lines) and tests/bench/results.md.
set -eu
cd "$(dirname "$0")/../.."
B=build/tests/bench
OUT=tests/bench/results.json
: >"$OUT"
echo "== XDP cost per frame (BPF_PROG_TEST_RUN, one CPU)"
"$B/bench_xdp" "${XDP_REPEAT:-5000000}" "${XDP_RUNS:-7}" | tee -a "$OUT"
echo "== map dump: batch vs per key"
"$B/bench_dump" | tee -a "$OUT"
echo "== end to end on veth: receiver datagrams/s"
bash tests/bench/veth_pps.sh "${VETH_SECS:-3}" "${VETH_ROUNDS:-5}" | tee -a "$OUT"
echo "== steering on nginx: connection rate, keep-alive balance, weighted shares"
bash tests/bench/steer_bench.sh "${STEER_SECS:-4}" "${STEER_ROUNDS:-3}" | tee -a "$OUT"
echo "== UDP steering: datagrams/s through each mode, kernel default alongside"
bash tests/bench/udp_steer_bench.sh "${UDP_SECS:-3}" "${UDP_ROUNDS:-3}" | tee -a "$OUT"
echo "== the conflicts tracer: in the kernel, for the caller, in userspace"
bash tests/bench/conflicts_bench.sh "${CONFLICT_SECS:-5}" "${CONFLICT_ROUNDS:-5}" | tee -a "$OUT"
echo "== every network namespace: groups --all-netns, top --all-netns for a minute"
bash tests/bench/netns_bench.sh "${NETNS_COUNT:-100}" "${NETNS_LISTENERS:-10}" | tee -a "$OUT"
echo "== live view refresh with a full flow table"
r=$(bash tests/bench/refresh.sh 65536)
echo "$r"
echo "{\"bench\":\"refresh\",\"text\":\"$r\"}" >>"$OUT"

python3 - "$OUT" >tests/bench/results.md <<'PY'
import json, platform, subprocess, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
ncpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
print("# portscope benchmarks\n")
print(f"Machine: Linux {platform.release()}, {cpu}, {ncpu} CPUs. Reproduce: `sudo make bench`.\n")
print("## XDP cost per frame (ns, BPF_PROG_TEST_RUN, repeat 5·10⁶, one CPU, min / median of 7)\n")
print("| packet | flows in table | empty (floor) | port counters only | full observer | full − floor | full, program for kernels < 5.18 |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    if r["bench"] == "xdp_hot":
        e = f'{r["empty_min"]:.1f} / {r["empty_med"]:.1f}' if "empty_min" in r else "—"
        p = f'{r["ports_min"]:.1f} / {r["ports_med"]:.1f}' if "ports_min" in r else "—"
        floor = r.get("empty_min", next(x["empty_min"] for x in rows if x.get("packet") == "ipv4-tcp" and "empty_min" in x))
        i = f'{r["inplace_min"]:.1f} / {r["inplace_med"]:.1f}' if "inplace_min" in r else "—"
        print(f'| {r["packet"]} | {r["flows"]} | {e} | {p} | {r["full_min"]:.1f} / {r["full_med"]:.1f} | {r["full_min"] - floor:.1f} | {i} |')
fl = [r for r in rows if r["bench"] == "xdp_flood"]
for r in fl:
    hot = next(x["full_min"] for x in rows if x.get("packet") == "ipv4-tcp" and x.get("flows") == 1)
    print(f'\nFlood path (a new flow every frame, {r["frames"]} frames = 4× the table, one test_run each): '
          f'{r["full_over_empty"]:.1f} ns/frame over the empty program '
          f'({r["full_over_empty"] / max(hot - next(x["empty_min"] for x in rows if x.get("flows") == 1 and x.get("packet") == "ipv4-tcp"), 0.1):.1f}× the hot cost over the floor).')
print("\n## Reading the flow table (ns per entry, min of 5)\n")
print("| flows | bpf_map_lookup_batch | get_next_key + lookup | ratio |")
print("|---|---|---|---|")
for r in rows:
    if r["bench"] == "map_dump":
        print(f'| {r["flows"]} | {r["batch_ns"]:.1f} | {r["per_key_ns"]:.1f} | {r["ratio"]:.1f}× |')
print("\n## End to end on veth (UDP, sendmmsg sender in a client namespace; receiver datagrams/s, median of 5 interleaved rounds)\n")
print("| condition | median pps | ratio to no observer |")
print("|---|---|---|")
for r in rows:
    if r["bench"] == "veth_pps":
        print(f'| {r["condition"]} | {r["median_pps"]:.0f} | {r["ratio_to_none"]:.3f} |')
e = next((r for r in rows if r.get("condition") == "empty_xdp"), None)
p = next((r for r in rows if r.get("condition") == "portscope"), None)
if e and p:
    print(f'\nAn empty XDP program attached natively already costs veth {1 - e["ratio_to_none"]:.1%} '
          f'(its XDP receive path); portscope runs at {p["median_pps"] / e["median_pps"]:.3f} of that floor.')
print("\n## Steering (nginx, 4 workers, reuseport; wrk in the same namespace)\n")
print("| policy | new connections/s (wrk, Connection: close) | ratio to the kernel default |")
print("|---|---|---|")
for r in rows:
    if r["bench"] == "steer_rate":
        print(f'| {r["policy"]} | {r["median_rps"]:.0f} | {r["ratio_to_default"]:.3f} |')
for r in rows:
    if r["bench"] == "steer_balance":
        print(f'\nBalance, 8 keep-alive connections over 4 workers, requests max/mean: {r["policy"]} '
              f'{r["max_over_mean_median"]} (runs {r["runs"]})')
for r in rows:
    if r["bench"] == "steer_weighted":
        print(f'\nWeighted {r["weights"]}: shares {r["shares"]} over {r["requests"]} requests, L1 error {r["l1_error"]}')
print("\n## UDP steering (3 reuseport workers counting, udpblast: 16 flows, sendmmsg; loopback; median of interleaved rounds)\n")
print("| mode | datagrams/s received | ratio to the kernel default |")
print("|---|---|---|")
for r in rows:
    if r["bench"] == "udp_steer":
        print(f'| {r["mode"]} | {r["median_pps"]:.0f} | {r["ratio_to_default"]:.3f} |')
p = next((r for r in rows if r["bench"] == "conflicts_prog"), None)
c = next((r for r in rows if r["bench"] == "conflicts_call"), None)
u = next((r for r in rows if r["bench"] == "conflicts_user"), None)
if p and c and u:
    print("\n## The conflicts tracer (sys_exit_bind; a private namespace)\n")
    print("| path | program, ns per call (kernel's BPF stats) | bind() without the tracer, ns | with it, ns |")
    print("|---|---|---|---|")
    print(f'| bind() succeeds (one comparison) | {p["ok_ns"]} | {c["bind_ok_ns"]} | {c["bind_ok_traced_ns"]} |')
    print(f'| bind() fails with EADDRINUSE (event built, counted, sent) | {p["fail_ns"]} | {c["bind_fail_ns"]} | {c["bind_fail_traced_ns"]} |')
    if "getppid_ns" in c:
        print(f'| getppid(), not traced (syscall tracepoints on: every call takes the traced path) | — | {c["getppid_ns"]} | {c["getppid_traced_ns"]} |')
    print(f'\nbind() back to back, {c["calls"]} calls, median of {c["rounds"]} interleaved rounds (the '
          f'program figure includes the statistics\' own clock reads). Explaining {u["rate"]} conflicts/s '
          f'(conflicts --json, holders cached for 1 s): {u["cpu_ms_per_s"]} ms of CPU a second '
          f'({u["cpu_ms_per_s"] / 10:.1f}% of one core).')
for r in rows:
    if r["bench"] == "refresh":
        print(f'\n## Live view\n\n{r["text"]}')
g = next((r for r in rows if r["bench"] == "netns_groups"), None)
t = next((r for r in rows if r["bench"] == "netns_top"), None)
if g and t:
    print(f'\n## Every network namespace ({g["namespaces"]} namespaces x {g["listeners_each"]} reuseport listeners, '
          f'a process each)\n')
    print(f'`groups --all-netns`: {g["wall_ms"]} ms wall, {g["user_ms"] + g["sys_ms"]:.1f} ms CPU '
          f'(user {g["user_ms"]}, system {g["sys_ms"]}; median of 5; {g["groups_seen"]} groups, '
          f'{g["members_seen"]} members seen). `groups` of one namespace on the same host: '
          f'{g["one_ns_wall_ms"]} ms wall, {g["one_ns_cpu_ms"]} ms CPU (its /proc scan is the whole host\'s).')
    print(f'\n`top --all-netns` at 1 s for {t["seconds"]} s: {t["cpu_ms"]} ms CPU = **{t["core_pct_at_1s"]}% of one '
          f'core** (start-up included); the listeners it showed were at most {t["listeners_max_age_s"]} s old '
          f'(read again once older than 100x what reading them cost).')
PY
echo "== written tests/bench/results.md"
cat tests/bench/results.md
