#!/usr/bin/env bash
# A real container runtime: Docker (Debian's docker.io), with a daemon of
# this test's own — no bridge, no iptables, nothing on the host's network —
# and an image built here (rpserver and its libraries, 'docker import'; no
# registry). The container runs with --network none; the test gives it a
# veth to the bridge of a "host" namespace of its own (H), whose uplink
# clients come in by. portscope must name the container by its id and
# name, enter its namespace by the sandbox path Docker mounts and by a pid,
# steer its group exactly, and label its rows in top --all-netns.
# Skipped when dockerd is not installed or a Docker daemon already runs.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 ip nsenter ldd
# a process named dockerd (no procps needed)
dockerd_runs() {
	local c
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = dockerd ] && return 0
	done
	return 1
}
command -v dockerd >/dev/null && command -v docker >/dev/null ||
	skip_all "dockerd not installed (apt-get install docker.io)"
if dockerd_runs; then
	skip_all "a Docker daemon runs here: this test starts its own, and leaves another alone"
fi

SRV=$BUILD_DIR/tests/tools/rpserver
CLI=$BUILD_DIR/tests/tools/rpclient
H=ps-dkh-$$ CL=ps-dkcl-$$
NAME=ps-web-$$ IMAGE=ps-rpserver:$$
DIR=$(mktemp -d)
SOCK=$DIR/docker.sock
STATE=/var/lib/docker	# where Docker keeps container names (config.v2.json)
HAD_STATE=
CID= CPID= SANDBOX= INO=

dk() { docker -H "unix://$SOCK" "$@"; }
client() { ip netns exec "$CL" "$CLI" "$@"; }
ps_h() { nsenter --net=/run/netns/"$H" "$PS" "$@"; }

# rpserver and the libraries it links, as a root for 'docker import'
image() {
	local root=$DIR/root l
	mkdir -p "$root/bin" "$root/tmp"
	cp "$SRV" "$root/bin/"
	for l in $(ldd "$SRV" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$l")" && cp -L "$l" "$root$l"
	done
	tar -C "$root" -c . | dk import - "$IMAGE" >/dev/null
}

setup() {
	[ -e "$STATE" ] && HAD_STATE=1
	dockerd --bridge=none --iptables=false --ip6tables=false --ip-masq=false -H "unix://$SOCK" \
		--pidfile "$DIR/dockerd.pid" >"$DIR/dockerd.log" 2>&1 &
	for _ in $(seq 100); do dk version >/dev/null 2>&1 && break; sleep 0.2; done
	check "our dockerd answers (no bridge, no iptables)" dk version
	image
	check "an image from a local root, no registry: $IMAGE" dk image inspect "$IMAGE"
	CID=$(dk run -d --name "$NAME" --network none "$IMAGE" /bin/rpserver -p 8080 -w 3 -d /tmp)
	CPID=$(dk inspect -f '{{.State.Pid}}' "$NAME")
	SANDBOX=$(dk inspect -f '{{.NetworkSettings.SandboxKey}}' "$NAME")
	INO=$(stat -L -c %i "$SANDBOX")
	echo "container $NAME $CID pid $CPID sandbox $SANDBOX (net:$INO)"
	ip netns add "$H" && ip -n "$H" link set lo up
	ip -n "$H" link add br0 type bridge && ip -n "$H" link set br0 up
	ip netns add "$CL" && ip -n "$CL" link set lo up
	# made from inside (6.1 checks the name in the caller's namespace too)
	ip -n "$CL" link add eth0 type veth peer name up0 netns "$H"
	ip -n "$H" link set up0 master br0 && ip -n "$H" link set up0 up
	ip -n "$CL" addr add 10.80.0.100/24 dev eth0 && ip -n "$CL" link set eth0 up
	nsenter --net="$SANDBOX" ip link add eth0 type veth peer name vd0 netns "$H"
	ip -n "$H" link set vd0 master br0 && ip -n "$H" link set vd0 up
	nsenter --net="$SANDBOX" ip addr add 10.80.0.10/24 dev eth0
	nsenter --net="$SANDBOX" ip link set eth0 up
	nsenter --net="$SANDBOX" ip link set lo up
	sleep 0.5
	check "the container serves on tcp/8080 through the bridge" bash -c \
		"ip netns exec $CL ping -c1 -W2 10.80.0.10 >/dev/null; ip netns exec $CL $CLI -a 10.80.0.10 -p 8080 -n 3 -q | grep -q '^ok 3 '"
}
teardown() {
	ps_h detach >/dev/null 2>&1
	"$PS" steer off 8080 --netns "$SANDBOX" >/dev/null 2>&1
	dk rm -f "$NAME" >/dev/null 2>&1
	dk rmi "$IMAGE" >/dev/null 2>&1
	[ -s "$DIR/dockerd.pid" ] && kill "$(cat "$DIR/dockerd.pid")" 2>/dev/null
	for _ in $(seq 50); do dockerd_runs || break; sleep 0.2; done
	wait 2>/dev/null
	ip netns del "$CL" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	remove_steer_pins "$INO"
	# Docker's state, when it was ours (nothing of it still mounted)
	[ -z "$HAD_STATE" ] && ! grep -q " $STATE" /proc/mounts && rm -rf "$STATE"
	rm -rf "$DIR"
}

# the host pids of the container's processes, each "HOSTPID NSPID"
pid_map() {
	local p
	for p in $(dk top "$NAME" -o pid | tail -n +2); do
		echo "$p $(awk '/^NSpid:/ {print $NF}' /proc/"$p"/status)"
	done
}

# groups --all-netns: the container by its id and name, its sandbox by name
t_groups() {
	"$PS" groups --all-netns --port 8080 | tee "$DIR/g.txt"
	"$PS" groups --all-netns --port 8080 --json >"$DIR/g.json"
	pid_map >"$DIR/pids"
	python3 - "$DIR/g.json" "$DIR/pids" "$INO" "$CID" "$NAME" "$(basename "$SANDBOX")" >"$DIR/g.cmp" <<'PY'
import json, sys
path, pids, ino, cid, name, sandbox = sys.argv[1:7]
host = {int(l.split()[0]) for l in open(pids)}
g = [x for x in map(json.loads, open(path)) if x["netns"]["inode"] == int(ino)]
print("groups", len(g))
if g:
    g, ct = g[0], g[0]["container"] or {}
    served = {h["pid"] for m in g["members"] for h in m["holders"] if h["serving"]}
    print("container", ct.get("runtime"), ct.get("id") == cid, ct.get("name"))
    print("netns", g["netns"]["name"] == sandbox, "members", len(g["members"]),
          "served by its processes", len(served) == 3 and served <= host)
PY
	cat "$DIR/g.cmp"
	check "one group in the container's namespace" grep -qx 'groups 1' "$DIR/g.cmp"
	check "its container: docker, the full id, the name $NAME" grep -qx "container docker True $NAME" "$DIR/g.cmp"
	check "its namespace named as Docker mounts it; 3 members served by the container's processes" \
		grep -qx 'netns True members 3 served by its processes True' "$DIR/g.cmp"
	check "text: 'docker:$NAME'" grep -q "netns $(basename "$SANDBOX") ($INO)  docker:$NAME  3 members" "$DIR/g.txt"
	check "--netns by the sandbox path and by a pid in it: the same group" bash -c \
		"'$PS' groups --netns '$SANDBOX' --json | grep -q '\"inode\":$INO' && '$PS' groups --netns $CPID --json | grep -q '\"inode\":$INO'"
}

# steer inside the container: exact round-robin, counted by the workers
t_steer() {
	"$PS" steer 8080 --netns "$SANDBOX" --policy round-robin | tee "$DIR/s.out"
	check "steer 8080 --netns $SANDBOX: 3 members" grep -qx 'tcp 8080: round-robin over 3 members' "$DIR/s.out"
	client -a 10.80.0.10 -p 8080 -n 90 >"$DIR/rr"
	"$PS" steer status --all-netns | tee "$DIR/st.txt"
	"$PS" steer status --netns "$CPID" --json >"$DIR/st.json"
	pid_map >"$DIR/pids"
	# the workers answer with their own pid (the container's pid namespace)
	python3 - "$DIR/rr" "$DIR/st.json" "$DIR/pids" >"$DIR/rr.cmp" <<'PY'
import json, sys
tally = {int(l.split()[0]): int(l.split()[1]) for l in open(sys.argv[1]) if l[0].isdigit()}
ns_of = {int(l.split()[0]): int(l.split()[1]) for l in open(sys.argv[3])}
st = json.load(open(sys.argv[2]))
pairs = [(tally.get(ns_of.get(m["pid"]), 0), m["selected"]) for m in st["members"]]
ok = all(a == b for a, b in pairs) and sum(a for a, _ in pairs) == 90
print(("exact " if ok else f"DIFFER {pairs} ") + "/".join(str(a) for a, _ in pairs))
PY
	cat "$DIR/rr.cmp"
	check "90 connections: 30/30/30 by the workers' answers and portscope's counters" grep -qx 'exact 30/30/30' "$DIR/rr.cmp"
	check "steer status --all-netns: labelled docker:$NAME" grep -q "docker:$NAME" "$DIR/st.txt"
	"$PS" steer off 8080 --netns "$SANDBOX" >"$DIR/off"
	check "steer off --netns: the kernel's hash, no pins" bash -c \
		"grep -qx 'tcp 8080: kernel hash restored' '$DIR/off' && ! ls -d /sys/fs/bpf/portscope/steer/net$INO-* 2>/dev/null"
}

# the observer on H's uplink: the container's row carries its name
t_top() {
	local load
	ps_h attach -i up0 >/dev/null
	client -a 10.80.0.10 -p 8080 -n 400 -r 200 -q >"$DIR/load" &
	load=$!
	sleep 0.5
	ps_h top --all-netns --batch --count 1 --interval 1 | tee "$DIR/top.txt"
	wait "$load"
	ps_h top --all-netns --once --json --interval 0.2 >"$DIR/top.json"
	ps_h detach >/dev/null
	check "top --all-netns: tcp/8080 led by the sandbox and docker:$NAME" \
		grep -qE "^tcp +8080 .* $(basename "$SANDBOX") docker:$NAME: " "$DIR/top.txt"
	check "JSON: the row's container id and name, 400 SYNs" python3 -c "
import json, sys
r = [r for r in json.load(open('$DIR/top.json'))['ports'] if r['proto'] == 'tcp' and r['port'] == 8080]
sys.exit(not (len(r) == 1 and r[0]['container']['id'] == '$CID' and r[0]['container']['name'] == '$NAME'
              and r[0]['syn'] == 400 and r[0]['netns']['inode'] == $INO))"
}

run_tests
