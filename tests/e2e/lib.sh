# Shared by the e2e suites: checks, the test runner, root/CI policy, and the
# namespace helpers.
#
# A suite sources this file, calls need_root / need_cmd, defines its tests as
# functions named t_NAME (or test_NAME), an optional `setup` (the preamble
# every test needs: namespaces, servers; run once, before the first test) and
# an optional `teardown` (run once at exit, also after an error or a signal),
# and ends with `run_tests`. Tests run in the order the file defines them.
#
#   TESTS="t_a t_b"  run only these, after setup (an unknown name fails)
#   VERBOSE=1        show every test's output, not only a failing test's
#
# Tests share what setup made, so each leaves it as it found it (detaches
# what it attached, stops the servers it started, uses ports of its own):
# any one of them runs alone after setup. A step a check depends on belongs
# in setup or in the same test.
#
# Each test (and setup) prints "PASS t_NAME", "FAIL t_NAME" followed by its
# output (its check lines and its commands' stderr), or "SKIP t_NAME". A test
# fails when a check in it fails or it returns non-zero (counted then as one
# failed check). The PASS/FAIL lines are per test; the last line counts
# checks, as tests/run-all.sh adds them up: "N passed, N failed", plus
# ", N skipped" (tests) when tests were skipped.
PS=${PS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/portscope}
BUILD_DIR=$(dirname "$PS")	# build/, or build-asan/ under make asan
PASSED=0 FAILED=0 SKIPPED=0
SUITE=${BASH_SOURCE[1]:-$0}	# the file that sourced this one
SUITE_NAME=$(basename "$SUITE")

ok()   { PASSED=$((PASSED + 1)); echo "  ok   $*"; }
bad()  { FAILED=$((FAILED + 1)); echo "  FAIL $*"; }
# check NAME COMMAND...: passes when the command succeeds
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n"; fi; }
finish() {
	local skipped=
	[ "$SKIPPED" -eq 0 ] || skipped=", $SKIPPED skipped"
	echo "$PASSED passed, $FAILED failed$skipped"
	[ "$FAILED" -eq 0 ]
}

# The suite's test functions, in the order the file defines them
# (declare -F would sort them by name).
suite_tests() {
	grep -oE '^(t|test)_[A-Za-z0-9_]+[[:space:]]*\(\)' "$SUITE" 2>/dev/null | sed -E 's/[[:space:]]*\(\)$//'
}

# select_tests: the tests to run into TO_RUN (file order); each name in TESTS
# that the suite does not define is a failed check naming it.
select_tests() {
	local all t
	mapfile -t all < <(suite_tests)
	TO_RUN=()
	for t in ${TESTS:-}; do
		case " ${all[*]} " in *" $t "*) ;; *) echo "FAIL $t"; bad "$SUITE_NAME has no test '$t' (it has: ${all[*]})" ;; esac
	done
	for t in "${all[@]}"; do
		case " ${TESTS:-$t} " in *" $t "*) TO_RUN+=("$t") ;; esac
	done
}

# skip_all REASON: every selected test is skipped; the suite exits 0.
skip_all() {
	local t
	select_tests
	for t in "${TO_RUN[@]}"; do echo "SKIP $t ($1)"; done
	SKIPPED=${#TO_RUN[@]}
	# a suite without test functions (tests/soak.sh) skips as one
	if [ -z "$(suite_tests)" ]; then echo "SKIP $SUITE_NAME ($1)"; SKIPPED=1; fi
	finish
	exit
}

# cannot_run REASON: outside CI every test is skipped (exit 0); in CI
# (CI=true) the suite fails with the reason.
cannot_run() {
	if [ "${CI:-}" = true ]; then
		bad "$SUITE_NAME cannot run: $1 (CI=true)"
		finish
		exit 1
	fi
	skip_all "$1"
}

# Suites need root (BPF, namespaces).
need_root() {
	[ "$(id -u)" -eq 0 ] || cannot_run "needs root"
}

# A missing tool fails the suite, in CI or not: make deps installs them.
need_cmd() {
	local c
	for c; do
		command -v "$c" >/dev/null && continue
		bad "$SUITE_NAME cannot run: missing command $c (make deps installs it)"
		finish
		exit 1
	done
}

# run_phase NAME: run function NAME, its output into $RUN_LOG/NAME (to the
# terminal under VERBOSE=1), then print "PASS NAME" or "FAIL NAME" and, on
# failure, the output. It fails when a check in it fails or it returns
# non-zero (counted then as a failed check).
run_phase() {
	local name=$1 f0=$FAILED p0=$PASSED st t0=$SECONDS log=$RUN_LOG/$1
	CURRENT=$name
	if [ "${VERBOSE:-0}" = 1 ]; then
		echo "--- $name"
		"$name"
	else
		"$name" >"$log" 2>&1
	fi
	st=$?
	CURRENT=
	if [ "$st" -ne 0 ] && [ "$FAILED" -eq "$f0" ]; then
		if [ "${VERBOSE:-0}" = 1 ]; then bad "$name returned $st"; else bad "$name returned $st" >>"$log"; fi
	fi
	PHASE_INFO="$((PASSED + FAILED - p0 - f0)) checks, $((SECONDS - t0)) s"
	if [ "$FAILED" -eq "$f0" ]; then
		echo "PASS $name ($PHASE_INFO)"
		return 0
	fi
	echo "FAIL $name ($PHASE_INFO)"
	[ "${VERBOSE:-0}" = 1 ] || sed 's/^/    /' "$log"
	return 1
}

# run_teardown: teardown once, at the end or from the EXIT trap (the suite
# stopped inside a test: an error such as an unset variable, or a signal
# such as run-all.sh's time limit; that test is reported with its output).
run_teardown() {
	if [ -n "${CURRENT:-}" ]; then
		# the test's redirection to its log is still in force: back to the
		# suite's own output
		exec 1>&"$RUN_OUT" 2>&"$RUN_ERR"
		echo "FAIL $CURRENT (the suite stopped inside it)"
		[ "${VERBOSE:-0}" = 1 ] || sed 's/^/    /' "$RUN_LOG/$CURRENT" 2>/dev/null
		bad "$CURRENT did not finish"
		CURRENT=
		FINISH_AT_EXIT=1
	fi
	if [ -z "${TORN_DOWN:-}" ]; then
		TORN_DOWN=1
		if declare -F teardown >/dev/null; then
			if [ "${VERBOSE:-0}" = 1 ]; then teardown; else teardown >/dev/null 2>&1; fi
		fi
	fi
	[ -n "${RUN_LOG:-}" ] && rm -rf "$RUN_LOG"
	[ -z "${FINISH_AT_EXIT:-}" ] || finish
	return 0
}

# run_tests: the end of every suite. setup, the selected tests, teardown;
# then the check counts, and the exit status.
run_tests() {
	local t
	RUN_LOG=$(mktemp -d)
	CURRENT=
	exec {RUN_OUT}>&1 {RUN_ERR}>&2
	trap run_teardown EXIT
	select_tests
	if [ ${#TO_RUN[@]} -gt 0 ] && declare -F setup >/dev/null && ! run_phase setup; then
		for t in "${TO_RUN[@]}"; do echo "FAIL $t (not run: setup failed)"; done
		TO_RUN=()
	fi
	for t in "${TO_RUN[@]}"; do run_phase "$t"; done
	run_teardown
	finish
	exit
}

# ns_kill NS [SIGNAL]: signal every process in namespace NS, by pid (bash's
# kill: no procps needed)
ns_kill() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -"${2:-TERM}" $pids 2>/dev/null
	return 0
}

# stop_pid PID: SIGTERM a process this shell started in the background, and
# wait until it is gone
stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# running REGEX: a process whose command line or name (comm, as set by
# prctl PR_SET_NAME) matches; pgrep without procps, which a minimal Debian
# lacks
running() {
	local d args comm
	for d in /proc/[0-9]*; do
		mapfile -d '' args <"$d/cmdline" 2>/dev/null || continue
		read -r comm <"$d/comm" 2>/dev/null
		[[ "${args[*]}" =~ $1 || "$comm" =~ $1 ]] && return 0
	done
	return 1
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
	ns_kill "$1"
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
	ip -n "$1" link add vs type veth peer name vc netns "$2"
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
}
pair_down() {
	ns_kill "$2"
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
