#!/usr/bin/env bash
# Containers: servers in network namespaces of their own, the way runtimes
# make them — a namespace, a veth to a host bridge, a cgroup named as Docker,
# Kubernetes (containerd) and systemd-nspawn name theirs — and portscope on
# the "host". The host is a namespace of this test's own (H: bridge br0, and
# the uplink up0 clients' traffic comes in by); nothing touches the real
# host's network. Three containers C1..C3 each run rpserver on tcp/8080 (3
# workers, SO_REUSEPORT); C2 also udp/8080.
#   groups --all-netns: three groups, members, pids, namespace and container
#   steer 8080 --netns C2: only C2's group, counts exact; C1/C3 on the hash;
#     two namespaces' 8080 steered at once, separate pins; steer off --netns
#   top/metrics --all-netns with the observer on H's uplink: a row per
#     container, joined with its listeners, counts equal tshark's
#   a namespace deleted while steered and observed: cleanup removes its pins
#   Docker (when dockerd is installed and no daemon runs): a real container's
#     id and name, --netns by its sandbox path and by pid, steered inside
#   bad --netns values, and CAP_SYS_ADMIN named when it is missing
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 ip nsenter tcpdump tshark capsh sha256sum

SRV=$BUILD_DIR/tests/tools/rpserver
CLI=$BUILD_DIR/tests/tools/rpclient
H=ps-nsh-$$ CL=ps-nscl-$$
C=(ps-nsc1-$$ ps-nsc2-$$ ps-nsc3-$$)
DIR=$(mktemp -d)
CGROOT=
CG=ps-test-$$
INO=()

# the cgroup v2 hierarchy (pure, or a hybrid host's unified one), else systemd's v1
cg_root() {
	local d
	for d in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
		[ -e "$d/cgroup.procs" ] && [ -w "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}
hex64() { printf '%s' "$1" | sha256sum | cut -c1-64; }
ID1=$(hex64 "c1-$$") ID2=$(hex64 "c2-$$")
POD=1a2b3c4d-$(printf '%04x' $(($$ % 65536)))-4000-8000-00000000abcd
# each container's cgroup, as its runtime names it (under a prefix of ours)
CGPATH=("$CG/docker/$ID1"
	"$CG/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD//-/_}.slice/cri-containerd-$ID2.scope"
	"$CG/machine.slice/machine-ps\\x2dweb\\x2d$$.scope/payload")

# container N ADDR: namespace C[N], eth0 = ADDR on H's bridge, lo up
container() {
	local n=$1 ns=${C[$1]}
	ip netns add "$ns" && ip -n "$ns" link set lo up
	# made from inside: before 6.x (Debian 12's 6.1) a name is checked in
	# the caller's namespace too, where the host may have its own eth0
	ip -n "$ns" link add eth0 type veth peer name vc$n netns "$H"
	ip -n "$H" link set vc$n master br0 && ip -n "$H" link set vc$n up
	ip -n "$ns" addr add "$2"/24 dev eth0 && ip -n "$ns" link set eth0 up
}
# serve N NAME ARGS...: rpserver in C[N], inside its cgroup (nsenter: no
# private /sys); worker pids in $DIR/NAME.pids
serve() {
	local n=$1 name=$2 cg=$CGROOT/${CGPATH[$1]}
	shift 2
	mkdir -p "$cg" "$DIR/$name"
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		nsenter --net=/run/netns/"${C[$n]}" "$SRV" -d "$DIR/$name" "$@" >"$DIR/$name.pids" &
	wait_for "$DIR/$name.pids" '[0-9]' 50 && sleep 0.2
}
ps_h() { nsenter --net=/run/netns/"$H" "$PS" "$@"; }
client() { ip netns exec "$CL" "$CLI" "$@"; }
pins_of() { ls -d /sys/fs/bpf/portscope/steer/net"$1"-* 2>/dev/null; }

setup() {
	CGROOT=$(cg_root) || { echo "no writable cgroup hierarchy"; return 1; }
	ip netns add "$H" && ip -n "$H" link set lo up
	ip -n "$H" link add br0 type bridge && ip -n "$H" link set br0 up
	ip -n "$H" addr add 10.79.0.1/24 dev br0
	ip netns add "$CL" && ip -n "$CL" link set lo up
	ip -n "$CL" link add eth0 type veth peer name up0 netns "$H"
	ip -n "$H" link set up0 master br0 && ip -n "$H" link set up0 up
	ip -n "$CL" addr add 10.79.0.100/24 dev eth0 && ip -n "$CL" link set eth0 up
	for n in 0 1 2; do
		container $n 10.79.0.1$((n + 1))
		serve $n c$n -p 8080 -w 3
		INO[$n]=$(stat -L -c %i /run/netns/"${C[$n]}")
	done
	serve 1 c1u -p 8080 -u -w 2
	for n in 1 2 3; do ip netns exec "$CL" ping -c1 -W2 10.79.0.1$n >/dev/null; done
	check "three containers answer on tcp/8080" bash -c \
		"for n in 1 2 3; do ip netns exec $CL $CLI -a 10.79.0.1\$n -p 8080 -n 3 -q | grep -q '^ok 3 ' || exit 1; done"
}
teardown() {
	local n
	ps_h detach >/dev/null 2>&1
	for n in "${!C[@]}"; do ns_kill "${C[$n]}"; done
	sleep 0.3
	for n in "${!C[@]}"; do ns_kill "${C[$n]}" KILL; done
	wait 2>/dev/null
	for n in "${!C[@]}"; do
		remove_steer_pins "${INO[$n]:-}"
		rm -rf /sys/fs/bpf/portscope/observe/net"${INO[$n]:-x}"
		ip netns del "${C[$n]}" 2>/dev/null
	done
	rmdir /sys/fs/bpf/portscope/observe /sys/fs/bpf/portscope 2>/dev/null
	ip netns del "$CL" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	# the cgroups, deepest first (empty once their processes are gone)
	[ -n "$CGROOT" ] && find "$CGROOT/$CG" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$DIR"
}


# groups --all-netns: three groups, their members' pids, namespaces, containers
t_groups_all_netns() {
	"$PS" groups --all-netns --port 8080 --proto tcp --json >"$DIR/g.json"
	"$PS" groups --all-netns --port 8080 --proto tcp | tee "$DIR/g.txt"
	python3 - "$DIR/g.json" "$DIR" "${C[*]}" "${INO[*]}" "$ID1" "$ID2" "$POD" "ps-web-$$" >"$DIR/g.cmp" <<'PY'
import json, sys
path, d, names, inos, id1, id2, pod, machine = sys.argv[1:9]
names, inos = names.split(), [int(i) for i in inos.split()]
ours = {g["netns"]["name"]: g for g in map(json.loads, open(path)) if g["netns"]["name"] in names}
print("groups", len(ours))
want = [("docker", {"id": id1}), ("kubernetes", {"id": id2, "pod_uid": pod, "cri": "containerd"}),
        ("machine", {"name": machine})]
for n, name in enumerate(names[:3]):
    g = ours.get(name)
    if not g:
        print(name, "missing"); continue
    pids = sorted(int(l) for l in open(f"{d}/c{n}.pids"))
    served = sorted(h["pid"] for m in g["members"] for h in m["holders"] if h["serving"])
    ct, (rt, fields) = g["container"] or {}, want[n]
    ok = (g["netns"]["inode"] == inos[n] and len(g["members"]) == 3 and served == pids and
          all(m["reuseport"] == 1 for m in g["members"]) and ct.get("runtime") == rt and
          all(ct.get(k) == v for k, v in fields.items()) and g["steering"] is None)
    print(name, "ok" if ok else f"BAD netns {g['netns']} served {served} pids {pids} container {ct}")
PY
	cat "$DIR/g.cmp"
	check "groups --all-netns: one group in each container" grep -qx 'groups 3' "$DIR/g.cmp"
	for n in 0 1 2; do
		check "${C[$n]}: its namespace's inode, 3 SO_REUSEPORT members served by its 3 workers, its container, the kernel's hash" \
			grep -qx "${C[$n]} ok" "$DIR/g.cmp"
	done
	check "text: each group led by its namespace and container" bash -c \
		"grep -q 'netns ${C[0]} (${INO[0]})  docker:${ID1:0:12}  3 members' '$DIR/g.txt' &&
		 grep -q 'netns ${C[1]} (${INO[1]})  k8s:pod${POD:0:8}/${ID2:0:12}  3 members' '$DIR/g.txt' &&
		 grep -q 'netns ${C[2]} (${INO[2]})  machine:ps-web-$$  3 members' '$DIR/g.txt'"
	"$PS" groups --netns "${C[1]}" --json >"$DIR/g2.json"
	check "groups --netns C2: C2's tcp and udp groups only" python3 -c "
import json, sys
g = [json.loads(l) for l in open('$DIR/g2.json')]
sys.exit(not (sorted(x['proto'] for x in g) == ['tcp', 'udp'] and all(x['netns']['inode'] == ${INO[1]} for x in g)))"
	check "groups --netns by path (/proc/PID/ns/net) and by pid: the same group" bash -c \
		"p=\$(head -1 '$DIR/c2.pids'); [ \"\$('$PS' groups --netns /proc/\$p/ns/net --json | grep -c '\"inode\":${INO[2]}')\" = 1 ] &&
		 [ \"\$('$PS' groups --netns \$p --json | grep -c '\"inode\":${INO[2]}')\" = 1 ]"
}

# rpclient's "PID COUNT" lines against portscope's per-member counters
# (steer status --json); prints "exact A/B/C" or what differs
exact() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
tally = {int(l.split()[0]): int(l.split()[1]) for l in open(sys.argv[1]) if l[0].isdigit()}
st = json.load(open(sys.argv[2]))
sel = {m["pid"]: m["selected"] for m in st["members"]}
pids = sorted(int(l) for l in open(sys.argv[3]))
fb = sum(v for k, v in st["reasons"].items() if k.startswith("fallback"))
counts = [tally.get(p, 0) for p in pids]
ok = sorted(tally) == pids and all(sel.get(p) == tally[p] for p in pids) and fb == 0
print(("exact " if ok else f"DIFFER portscope {sel} fallbacks {fb} ") + "/".join(map(str, counts)))
PY
}

# steer 8080 --netns C2: only C2's group; round-robin exact; steer off --netns
t_steer_one_namespace() {
	"$PS" steer 8080 --netns "${C[1]}" --policy round-robin >"$DIR/s.out" 2>&1
	cat "$DIR/s.out"
	check "steer 8080 --netns C2 --policy round-robin: C2's 3 members" grep -qx 'tcp 8080: round-robin over 3 members' "$DIR/s.out"
	check "its pins on the host's bpffs, named by C2's namespace" test -n "$(pins_of "${INO[1]}")"
	check "no pins for C1 or C3" test -z "$(pins_of "${INO[0]}")$(pins_of "${INO[2]}")"
	client -a 10.79.0.12 -p 8080 -n 300 >"$DIR/rr"
	"$PS" steer status --netns "${C[1]}" --json >"$DIR/rr.status"
	exact "$DIR/rr" "$DIR/rr.status" "$DIR/c1.pids" | tee "$DIR/rr.cmp"
	check "300 connections to C2: 100/100/100 by the workers' answers and by portscope's counters" \
		grep -qx 'exact 100/100/100' "$DIR/rr.cmp"
	for n in 0 2; do client -a 10.79.0.1$((n + 1)) -p 8080 -n 30 -q >"$DIR/h$n"; done
	check "C1 and C3 still serve (30 + 30)" bash -c "grep -q '^ok 30 failed 0' '$DIR/h0' && grep -q '^ok 30 failed 0' '$DIR/h2'"
	"$PS" groups --all-netns --port 8080 --proto tcp --json >"$DIR/g3.json"
	check "groups --all-netns: C2 by portscope round-robin, C1 and C3 on the kernel's hash" python3 -c "
import json, sys
g = {x['netns']['inode']: x['steering'] for x in map(json.loads, open('$DIR/g3.json'))}
s = g.get(${INO[1]}) or {}
sys.exit(not (s.get('by') == 'portscope' and s.get('policy') == 'round-robin' and
              g.get(${INO[0]}, 0) is None and g.get(${INO[2]}, 0) is None))"
	"$PS" steer status --all-netns --json >"$DIR/all.status"
	check "steer status --all-netns: C2's group, labelled with its namespace and pod" python3 -c "
import json, sys
s = [x for x in map(json.loads, open('$DIR/all.status')) if x['netns']['inode'] in ($(IFS=,; echo "${INO[*]}"))]
sys.exit(not (len(s) == 1 and s[0]['netns']['name'] == '${C[1]}' and s[0]['container']['pod_uid'] == '$POD'))"
	check "steer status in the host's namespace: none of its own" bash -c \
		"ps_h() { nsenter --net=/run/netns/$H '$PS' \"\$@\"; }; ps_h steer status | head -1 | grep -qx 'no steered groups in this network namespace'"
	"$PS" steer off 8080 --netns "${C[1]}" >"$DIR/off.out" 2>&1
	check "steer off 8080 --netns C2: the kernel's hash" grep -qx 'tcp 8080: kernel hash restored' "$DIR/off.out"
	check "its pins removed" test -z "$(pins_of "${INO[1]}")"
	check "groups: C2 on the kernel's hash again" bash -c \
		"'$PS' groups --netns ${C[1]} --port 8080 --proto tcp --json | grep -q '\"steering\":null'"
}

# two namespaces' port 8080 steered at once: separate pins, separate policies
t_same_port_two_namespaces() {
	local w
	w=$(head -1 "$DIR/c2.pids")
	"$PS" steer 8080 --netns "${C[0]}" --policy round-robin >/dev/null
	"$PS" steer 8080 --netns "${C[2]}" --policy weighted --weight "$w=2" >/dev/null
	check "two pin directories, one per namespace" bash -c \
		"[ \$(ls -d /sys/fs/bpf/portscope/steer/net${INO[0]}-tcp-*-8080 | wc -l) = 1 ] &&
		 [ \$(ls -d /sys/fs/bpf/portscope/steer/net${INO[2]}-tcp-*-8080 | wc -l) = 1 ]"
	client -a 10.79.0.11 -p 8080 -n 90 >"$DIR/two1"
	client -a 10.79.0.13 -p 8080 -n 120 >"$DIR/two3"
	"$PS" steer status --netns "${C[0]}" --json >"$DIR/two1.status"
	"$PS" steer status --netns "/run/netns/${C[2]}" --json >"$DIR/two3.status"
	exact "$DIR/two1" "$DIR/two1.status" "$DIR/c0.pids" | tee "$DIR/two1.cmp"
	exact "$DIR/two3" "$DIR/two3.status" "$DIR/c2.pids" | tee "$DIR/two3.cmp"
	check "C1 round-robin: 30/30/30, exact" grep -qx 'exact 30/30/30' "$DIR/two1.cmp"
	check "C3 weighted 2:1:1: 60/30/30, exact" grep -qx 'exact 60/30/30' "$DIR/two3.cmp"
	"$PS" steer off 8080 --netns "${C[0]}" >/dev/null
	check "steer off --netns C1 leaves C3 steered" bash -c \
		"[ -z \"\$(ls -d /sys/fs/bpf/portscope/steer/net${INO[0]}-* 2>/dev/null)\" ] &&
		 '$PS' steer status --netns ${C[2]} | grep -q 'policy weighted'"
	"$PS" steer off 8080 --netns "${C[2]}" >/dev/null
	check "and off: no pins of either" test -z "$(pins_of "${INO[0]}")$(pins_of "${INO[2]}")"
}

# the clients started in the background (not the servers, nor tcpdump)
wait_clients() {
	local j
	for j in $(jobs -p); do
		grep -q rpclient /proc/"$j"/cmdline 2>/dev/null && wait "$j"
	done
	return 0
}

# the observer on H's uplink, top and metrics --all-netns: a row per container
t_top_all_netns() {
	ps_h attach -i up0 >"$DIR/att" 2>&1
	check "attach --netns H -i up0 (the uplink, a bridge port)" grep -q 'attached to up0' "$DIR/att"
	ip netns exec "$H" tcpdump -Z root -U --immediate-mode -B 65536 -Q in -i up0 -w "$DIR/in.pcap" 2>"$DIR/td.log" &
	local td=$!
	wait_for "$DIR/td.log" "listening on"
	# paced over ~1.5 s, all at once: a snapshot while they run
	client -a 10.79.0.11 -p 8080 -n 30 -r 20 -q >"$DIR/t1" &
	client -a 10.79.0.12 -p 8080 -n 60 -r 40 -q >"$DIR/t2" &
	client -a 10.79.0.13 -p 8080 -n 90 -r 60 -q >"$DIR/t3" &
	client -u -a 10.79.0.12 -p 8080 -n 40 -r 27 -q >"$DIR/t2u" &
	sleep 0.2
	ps_h top --all-netns --batch --count 1 --interval 1 | tee "$DIR/top.txt"
	wait_clients
	sleep 0.5
	kill -INT "$td"
	wait "$td" 2>/dev/null
	check "the reference capture is complete" grep -q '^0 packets dropped by kernel' "$DIR/td.log"
	check "180 connections and 40 datagrams answered" bash -c "cat '$DIR'/t1 '$DIR'/t2 '$DIR'/t3 '$DIR'/t2u |
		awk '{ok += \$2; f += \$4} END {exit !(ok == 220 && f == 0)}'"
	ps_h top --all-netns --once --json --interval 0.2 >"$DIR/top.json"
	ps_h metrics --all-netns >"$DIR/metrics.txt"
	ps_h detach >/dev/null
	tshark -r "$DIR/in.pcap" -Y 'tcp or udp' -T fields -E separator='|' \
		-e frame.len -e ip.dst -e tcp.dstport -e udp.dstport >"$DIR/ts.txt" 2>/dev/null
	python3 - "$DIR/top.json" "$DIR/ts.txt" "$DIR/metrics.txt" "$DIR" "${C[*]}" <<'PY' >"$DIR/top.cmp"
import collections, json, re, sys
top, ts, prom, d, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split()
ref, port = collections.Counter(), collections.Counter()
for line in open(ts):
    ln, dst, tp, up = line.rstrip("\n").split("|")
    key = ("tcp", dst, int(tp)) if tp else ("udp", dst, int(up))
    ref[key + ("packets",)] += 1; ref[key + ("bytes",)] += int(ln)
    port[(key[0], key[2], "packets")] += 1; port[(key[0], key[2], "bytes")] += int(ln)
rows = json.load(open(top))["ports"]
def ours(proto):
    return [r for r in rows if r["proto"] == proto and r["port"] == 8080]
addr = {names[n]: f"10.79.0.1{n + 1}" for n in range(3)}
tcp, udp = ours("tcp"), ours("udp")
print("tcp rows", len(tcp), "split", all(r["split"] for r in tcp))
for r in tcp + udp:
    name = (r["netns"] or {}).get("name")
    a = addr.get(name)
    n = names.index(name) if name in names else -1
    pidf = f"{d}/c{n}.pids" if r["proto"] == "tcp" else f"{d}/c1u.pids"
    pids = sorted(int(l) for l in open(pidf)) if n >= 0 else []
    served = sorted(p["pid"] for l in r["listeners"] for p in l["processes"] if p["serving"])
    same = all(r[k] == ref[(r["proto"], a, 8080, k)] for k in ("packets", "bytes"))
    print(r["proto"], name, "counts", "equal" if same else f"DIFFER {r['packets']}/{r['bytes']} vs "
          f"{ref[(r['proto'], a, 8080, 'packets')]}/{ref[(r['proto'], a, 8080, 'bytes')]}",
          "listeners", "theirs" if served == pids and pids else f"BAD {served} {pids}",
          "container", (r["container"] or {}).get("runtime"))
for proto, rs in (("tcp", tcp), ("udp", udp)):
    tot = [sum(r[k] for r in rs) for k in ("packets", "bytes")]
    print(proto, "port", "equal" if tot == [port[(proto, 8080, "packets")], port[(proto, 8080, "bytes")]] else f"DIFFER {tot}")
got = {}
for line in open(prom):
    m = re.match(r'portscope_port_packets_total\{proto="(\w+)",port="8080",netns="([^"]*)"(?:,container="[^"]*")?\} (\d+)', line)
    if m:
        got[(m[1], m[2])] = int(m[3])
print("metrics", "equal" if got == {(r["proto"], r["netns"]["name"]): r["packets"] for r in tcp + udp} else f"DIFFER {got}")
PY
	cat "$DIR/top.cmp"
	check "tcp/8080: three rows, one per container (split by destination namespace)" grep -qx 'tcp rows 3 split True' "$DIR/top.cmp"
	for n in 0 1 2; do
		check "tcp/8080 ${C[$n]}: packets and bytes equal tshark's toward its address; its workers; its container" \
			grep -qE "^tcp ${C[$n]} counts equal listeners theirs container (docker|kubernetes|machine)$" "$DIR/top.cmp"
	done
	check "udp/8080: one row, C2's, counts equal tshark's, C2's udp workers" \
		grep -qE "^udp ${C[1]} counts equal listeners theirs container kubernetes$" "$DIR/top.cmp"
	check "per port, the rows add up to tshark's count on up0 (tcp and udp)" \
		bash -c "grep -qx 'tcp port equal' '$DIR/top.cmp' && grep -qx 'udp port equal' '$DIR/top.cmp'"
	check "metrics --all-netns: a series per (port, namespace), the same counts" grep -qx 'metrics equal' "$DIR/top.cmp"
	check "text rows led by namespace and container" grep -q "  ${C[1]} k8s:pod${POD:0:8}/${ID2:0:12}: " "$DIR/top.txt"
	if command -v promtool >/dev/null; then
		check "promtool check metrics" bash -c "promtool check metrics <'$DIR/metrics.txt'"
	fi
}

# a namespace deleted while steered and observed: its pins stay until cleanup
t_namespace_deleted() {
	local ino out
	C[3]=ps-nsc4-$$
	CGPATH[3]=$CG/c4
	container 3 10.79.0.14
	serve 3 c3x -p 8080 -w 2
	ino=$(stat -L -c %i /run/netns/"${C[3]}")
	INO[3]=$ino
	"$PS" steer 8080 --netns "${C[3]}" --policy round-robin >/dev/null
	"$PS" attach --netns "${C[3]}" -i eth0 >/dev/null
	check "steered and observed: pins under steer/net$ino-* and observe/net$ino" \
		bash -c "[ -n \"\$(ls -d /sys/fs/bpf/portscope/steer/net$ino-* 2>/dev/null)\" ] && [ -e /sys/fs/bpf/portscope/observe/net$ino/observe ]"
	ns_kill "${C[3]}"
	sleep 0.3
	ip netns del "${C[3]}"
	sleep 0.5
	check "the namespace deleted: its pins are left" test -n "$(pins_of "$ino")"
	"$PS" status --all-netns >"$DIR/st.txt"
	check "status --all-netns: its observer's namespace is gone" grep -q "in netns $ino (gone" "$DIR/st.txt"
	"$PS" cleanup | tee "$DIR/cl.txt"
	check "cleanup: its steering state removed (namespace gone)" \
		grep -q "removed steering state of net$ino-tcp-.*-8080 (no member sockets left; its network namespace is gone)" "$DIR/cl.txt"
	check "cleanup: its observer's link and pins removed" \
		bash -c "grep -q 'removed the observer.s link on eth0' '$DIR/cl.txt' && grep -q 'removed the observer.s pins of net:$ino' '$DIR/cl.txt'"
	check "nothing of it left" bash -c "[ -z \"\$(ls -d /sys/fs/bpf/portscope/steer/net$ino-* 2>/dev/null)\" ] && [ ! -e /sys/fs/bpf/portscope/observe/net$ino ]"
	out=$("$PS" steer status --all-netns --json | grep -c "\"inode\":$ino")
	check "steer status --all-netns no longer lists it" test "$out" = 0
}

# a namespace's inode is given again once it is gone: pins left of a
# deleted namespace must not pass for a new one's steering
t_inode_reused() {
	local old new
	C[4]=ps-nsc5-$$ C[5]=ps-nsc6-$$
	CGPATH[4]=$CG/c5 CGPATH[5]=$CG/c6
	container 4 10.79.0.15
	serve 4 c4x -p 8080 -w 2
	old=$(stat -L -c %i /run/netns/"${C[4]}")
	INO[4]=$old
	"$PS" steer 8080 --netns "${C[4]}" --policy round-robin >/dev/null
	ns_kill "${C[4]}"
	sleep 0.3
	ip netns del "${C[4]}"
	sleep 0.5
	container 5 10.79.0.16
	serve 5 c5x -p 8080 -w 2
	new=$(stat -L -c %i /run/netns/"${C[5]}")
	INO[5]=$new
	if [ "$new" != "$old" ]; then
		echo "the new namespace got inode $new, not $old: nothing to see (the kernel reuses the lowest free one)"
		check "the old namespace's pins are still cleanup's" test -n "$(pins_of "$old")"
		return 0
	fi
	check "a new namespace with the deleted one's inode ($new); its pins still there" test -n "$(pins_of "$new")"
	check "groups --netns new: not steered (the pins hold none of its sockets)" bash -c \
		"'$PS' groups --netns ${C[5]} --port 8080 --json | grep -q '\"steering\":null'"
	"$PS" steer 8080 --netns "${C[5]}" --policy round-robin >"$DIR/re.out" 2>&1
	ip netns exec "$CL" ping -c1 -W2 10.79.0.16 >/dev/null
	client -a 10.79.0.16 -p 8080 -n 40 >"$DIR/re"
	"$PS" steer status --netns "${C[5]}" --json >"$DIR/re.status"
	exact "$DIR/re" "$DIR/re.status" "$DIR/c5x.pids" | tee "$DIR/re.cmp"
	check "steer --netns new: attached afresh, round-robin exact (20/20)" grep -qx 'exact 20/20' "$DIR/re.cmp"
	"$PS" steer off 8080 --netns "${C[5]}" >/dev/null
	check "steer off: no pins" test -z "$(pins_of "$new")"
}

# one stderr line, exit 2, nothing on stdout, nothing changed
refused() {
	local what=$1 st
	shift
	"$@" >"$DIR/out" 2>"$DIR/err"
	st=$?
	if [ "$st" -eq 2 ] && [ "$(wc -l <"$DIR/err")" -eq 1 ] && grep -q "$what" "$DIR/err" && [ ! -s "$DIR/out" ]; then
		ok "${*#"$PS" }: $(cat "$DIR/err")"
	else
		bad "${*#"$PS" }: exit $st, stderr: $(head -c 300 "$DIR/err")"
	fi
}

# the pins of our namespaces and of the one the test runs in (other
# suites may pin and unpin theirs meanwhile)
our_pins() {
	find /sys/fs/bpf/portscope 2>/dev/null |
		grep -E "/net(${INO[0]}|${INO[1]}|${INO[2]}|$(stat -L -c %i /proc/self/ns/net))" | sort
}

t_bad_input() {
	local before after v
	before=$(our_pins)
	for v in ps-no-such-ns-$$ 999999999 /etc/passwd /proc/self/ns/mnt /nonexistent ''; do
		refused 'invalid --netns' "$PS" groups --netns "$v"
		refused 'invalid --netns' "$PS" steer 8080 --netns "$v" --policy round-robin
	done
	refused 'no network namespace of that name' "$PS" top --netns ps-no-such-ns-$$ -i eth0 --once
	refused 'no process 999999999' "$PS" attach --netns 999999999 -i eth0
	refused 'not a network namespace' "$PS" status --netns /proc/self/ns/pid
	refused 'not a network namespace' "$PS" steer off 8080 --netns /dev/null
	refused 'choose one' "$PS" groups --netns "${C[0]}" --all-netns
	refused 'choose one' "$PS" steer status --netns "${C[0]}" --all-netns
	refused 'unknown option' "$PS" flows --all-netns
	refused 'no listening sockets' "$PS" steer 8081 --netns "${C[0]}"
	after=$(our_pins)
	check "no pin made or removed (ours, and this namespace's)" test "$before" = "$after"
	check "C1..C3 still on the kernel's hash" bash -c \
		"! '$PS' groups --all-netns --port 8080 --json | grep -E '\"inode\":(${INO[0]}|${INO[1]}|${INO[2]})' | grep -q '\"by\":\"portscope\"'"
}

# entering another namespace takes CAP_SYS_ADMIN: named when it is missing
t_capabilities() {
	local all keep=cap_bpf,cap_net_admin,cap_sys_ptrace drop= c
	all=$(capsh --print | sed -n 's/^Bounding set =//p')
	for c in ${all//,/ }; do
		case ",$keep," in *",$c,"*) ;; *) drop+=$c, ;; esac
	done
	as() { capsh --drop="${drop%,}" -- -c 'exec "$@"' as "$PS" "$@"; }
	refused CAP_SYS_ADMIN as groups --netns "${C[0]}"
	refused CAP_SYS_ADMIN as groups --all-netns
	refused CAP_SYS_ADMIN as steer 8080 --netns "${C[0]}" --policy round-robin
	refused CAP_SYS_ADMIN as top --all-netns --once
	refused CAP_SYS_ADMIN as attach --netns "${C[0]}" -i eth0
	check "nothing steered" test -z "$(pins_of "${INO[0]}")"
	check "--netns of the namespace it runs in needs no CAP_SYS_ADMIN" \
		bash -c "capsh --drop='${drop%,}' -- -c 'exec \"\$@\"' as '$PS' groups --netns /proc/self/ns/net >/dev/null"
	check "with CAP_SYS_ADMIN too: groups --netns C1 works" \
		bash -c "capsh --drop='$(echo "${drop%,}" | sed 's/cap_sys_admin,\?//; s/,$//')' -- -c 'exec \"\$@\"' as '$PS' groups --netns ${C[0]} --json | grep -q '\"inode\":${INO[0]}'"
}

run_tests
