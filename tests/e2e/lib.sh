# Shared by the e2e suites: counters, checks, root/CI policy, cleanup.
# Each suite sources this, runs checks, and ends with `finish`, which prints
# "N passed, N failed" and exits non-zero on any failure.
PS=${PS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/portscope}
BUILD_DIR=$(dirname "$PS")	# build/, or build-asan/ under make asan
PASSED=0 FAILED=0

ok()   { PASSED=$((PASSED + 1)); echo "  ok   $*"; }
bad()  { FAILED=$((FAILED + 1)); echo "  FAIL $*"; }
# check NAME COMMAND...: passes when the command succeeds
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n"; fi; }
finish() { echo "$PASSED passed, $FAILED failed"; [ "$FAILED" -eq 0 ]; }

# Suites need root (BPF, namespaces). Outside CI a non-root run is skipped;
# in CI (CI=true) a suite that cannot run fails.
need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	if [ "${CI:-}" = true ]; then bad "must run as root in CI"; finish; exit 1; fi
	echo "skipped: needs root"; echo "0 passed, 0 failed"; exit 0
}

need_cmd() {
	local c
	for c; do
		command -v "$c" >/dev/null && continue
		bad "missing command $c (make deps installs it)"; finish; exit 1
	done
}

# remove_steer_pins NETNS_INODE: the steering pins of groups in a test's own
# namespace (their programs went with the sockets), then empty parents.
remove_steer_pins() {
	[ -n "$1" ] && rm -rf /sys/fs/bpf/portscope/steer/net"$1"-* 2>/dev/null
	rmdir /sys/fs/bpf/portscope/steer /sys/fs/bpf/portscope 2>/dev/null
	return 0
}

# wait_for FILE PATTERN [TRIES]: poll a log for a line, 0.1 s apart.
wait_for() {
	local i
	for ((i = 0; i < ${3:-50}; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# lab_up NS: a namespace with lo and a veth pair ve0/ve1 inside it, all up
# (nothing leaves it); lab_down NS: its processes killed, the observer
# detached, its steering pins removed, the namespace deleted.
lab_up() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link add ve0 type veth peer name ve1
	ip -n "$1" link set ve0 up
	ip -n "$1" link set ve1 up
}
lab_down() {
	ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	nsenter --net=/run/netns/"$1" "$PS" detach >/dev/null 2>&1
	remove_steer_pins "$(stat -L -c %i /run/netns/"$1" 2>/dev/null)"
	ip netns del "$1" 2>/dev/null
}

# pair_up S C: a server and a client namespace joined by a veth pair, vs in
# S and vc in C, still down (callers set addresses, MTU, sysctls), lo up;
# pair_down S C: C emptied and deleted, S as lab_down.
pair_up() {
	ip netns add "$1" && ip netns add "$2"
	ip link add vs netns "$1" type veth peer name vc netns "$2"
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
}
pair_down() {
	ip netns pids "$2" 2>/dev/null | xargs -r kill 2>/dev/null
	lab_down "$1"
	ip netns del "$2" 2>/dev/null
}

# rpserver_in NS FILE ARGS...: an rpserver in NS, its worker pids in FILE
# once they listen (lab_down stops it with the namespace's other processes)
rpserver_in() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$BUILD_DIR"/tests/tools/rpserver "$@" >"$out" &
	wait_for "$out" '[0-9]' && sleep 0.2
}
