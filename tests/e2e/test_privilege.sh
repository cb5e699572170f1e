#!/usr/bin/env bash
# Least privilege. portscope runs as root with every capability but the ones
# it needs dropped (capsh: a uid-0 process gets its bounding set, nothing
# more): CAP_BPF + CAP_NET_ADMIN observe and steer, + CAP_SYS_PTRACE adopts
# sockets; least-conn alone also needs CAP_PERFMON (a tracing program);
# entering another network namespace (--netns, --all-netns) CAP_SYS_ADMIN.
# Without a needed capability: one line naming it, exit 2, nothing changed.
# Pins are 0700/0600 (flow tables hold every client's address), metrics bind
# loopback unless told otherwise, and names from the command line never
# reach a shell or a format string.
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_cmd capsh ip nsenter socat curl

SRV=$BUILD_DIR/tests/tools/rpserver
CLI=$BUILD_DIR/tests/tools/rpclient
S=ps-psrv-$$ C=ps-pcli-$$
DIR=$(mktemp -d)
ALL=$(capsh --print | sed -n 's/^Bounding set =//p')

# with CAPS CMD...: CMD in the server namespace, as root holding only CAPS
with() {
	local keep=",$1," drop= c
	shift
	for c in ${ALL//,/ }; do
		case $keep in *",$c,"*) ;; *) drop+=$c, ;; esac
	done
	nsenter --net=/run/netns/"$S" capsh --drop="${drop%,}" -- -c 'exec "$@"' with "$@"
}
as() { local caps=$1; shift; with "$caps" "$PS" "$@"; }
export -f with as
export S ALL PS
# refused CAPS MISSING ARGS...: exit 2, one stderr line naming MISSING, no stdout
refused() {
	local caps=$1 missing=$2 st
	shift 2
	as "$caps" "$@" >"$DIR/out" 2>"$DIR/err"
	st=$?
	if [ "$st" -eq 2 ] && [ "$(wc -l <"$DIR/err")" -eq 1 ] && grep -q "$missing" "$DIR/err" &&
		[ ! -s "$DIR/out" ]; then
		ok "$* with $caps: $(cat "$DIR/err")"
	else
		bad "$* with $caps: exit $st, stderr: $(head -c 300 "$DIR/err")"
	fi
}

# server and client namespaces over veth, a 4-worker group on 8080 (server)
setup() {
	pair_up "$S" "$C"
	ip -n "$S" addr add 10.78.0.1/24 dev vs
	ip -n "$C" addr add 10.78.0.2/24 dev vc
	ip -n "$S" link set vs up
	ip -n "$C" link set vc up
	ip netns exec "$S" "$SRV" -p 8080 -w 4 -d "$DIR" >"$DIR/pids" &
	wait_for "$DIR/pids" '[0-9]' || return
	ip netns exec "$C" ping -c1 -W1 10.78.0.1 >/dev/null 2>&1
	return 0	# (the ping only resolves the neighbour)
}
teardown() {
	pair_down "$S" "$C"
	rm -rf "$DIR"
}

t_caps_harness() {
	check "CapEff with cap_bpf,cap_net_admin is exactly bits 12 and 39" \
		bash -c "[ \"\$(with cap_bpf,cap_net_admin grep CapEff /proc/self/status | awk '{print \$2}')\" = 0000008000001000 ]"
}

# attach with exactly CAP_BPF + CAP_NET_ADMIN; vs runs PROG, which counts
# 100 connections
observed() {
	local prog=$1 OBS=cap_bpf,cap_net_admin id
	as "$OBS" attach -i vs --pin >"$DIR/attach" 2>&1
	check "attach -i vs --pin (native) with $OBS" grep -q 'attached to vs (native)' "$DIR/attach"
	id=$(ip -n "$S" link show vs | sed -n 's|.*prog/xdp id \([0-9]*\).*|\1|p')
	check "vs runs $prog (program ${id:-none})" \
		bash -c "[ -n '$id' ] && bpftool prog show id '$id' | grep -q 'name $prog '"
	ip netns exec "$C" "$CLI" -a 10.78.0.1 -p 8080 -n 100 -q >"$DIR/c1"
	check "100 connections served" grep -q '^ok 100 failed 0' "$DIR/c1"
	as "$OBS" top --once --json --interval 0.2 >"$DIR/top.json" 2>"$DIR/top.err"
	check "top --once with $OBS: tcp/8080 counted, 100 SYNs" \
		grep -q '"proto":"tcp","port":8080,.*"syn":100\|"proto":"tcp","port":8080.*"new":100' "$DIR/top.json"
}
detached() {
	check "detach with cap_bpf,cap_net_admin" bash -c "as cap_bpf,cap_net_admin detach >/dev/null 2>&1 &&
		! nsenter --net=/run/netns/$S ip link show vs | grep -q xdp"
}

# observe with exactly CAP_BPF + CAP_NET_ADMIN; its pins 0700/0600
t_observe_caps() {
	local bad_modes OBS=cap_bpf,cap_net_admin
	observed observe
	check "flows with $OBS" bash -c "as $OBS flows --json --top 0 2>/dev/null | grep -q '\"dport\":8080'"
	check "status with $OBS: vs attached, native" bash -c "as $OBS status --json 2>/dev/null | grep -q '\"ifname\":\"vs\"[^}]*\"mode\":\"native\"[^}]*\"attached\":true'"
	check "metrics with $OBS" bash -c "as $OBS metrics 2>/dev/null | grep -q 'portscope_port_packets_total{proto=\"tcp\",port=\"8080\"}'"

	# pins: directory 0700, files 0600
	check "/sys/fs/bpf/portscope is 0700" bash -c "[ \$(stat -c %a /sys/fs/bpf/portscope) = 700 ]"
	bad_modes=$(find /sys/fs/bpf/portscope -mindepth 1 \( -type d ! -perm 0700 -o ! -type d ! -perm 0600 \) -printf '%p %m\n')
	check "every pin below is 0700 (dirs) or 0600 (files)${bad_modes:+: $bad_modes}" [ -z "$bad_modes" ]
	detached
}

# the program older kernels get (before 5.18; PS_OBSERVE_PROG forces it
# here): live on veth with exactly CAP_BPF + CAP_NET_ADMIN too
t_observe_inplace_caps() {
	PS_OBSERVE_PROG=observe_inplace observed observe_inplace
	detached
}

t_steer_caps() {
	local STE=cap_bpf,cap_net_admin,cap_sys_ptrace
	refused "$STE" CAP_PERFMON steer 8080 --policy least-conn
	check "steer --policy round-robin with $STE" bash -c "as $STE steer 8080 --policy round-robin >/dev/null"
	ip netns exec "$C" "$CLI" -a 10.78.0.1 -p 8080 -n 400 >"$DIR/rr"
	check "round-robin: 4 workers x 100 (client's tally)" \
		bash -c "[ \$(awk 'NF == 2 && \$2 == 100' '$DIR/rr' | wc -l) -eq 4 ]"
	refused "$STE" CAP_PERFMON steer 8080 --policy least-conn
	check "weighted with $STE" bash -c "as $STE steer 8080 --policy weighted >/dev/null"
	check "groups with $STE names the 4 workers" bash -c "[ \$(as $STE groups --port 8080 | grep -c rpserver) -eq 4 ]"
	check "steer off with $STE" bash -c "as $STE steer off 8080 | grep -q 'kernel hash restored'"
	check "least-conn with CAP_PERFMON too" bash -c "as $STE,cap_perfmon steer 8080 --policy least-conn >/dev/null && as $STE steer off 8080 >/dev/null"
	# the program older kernels get (before 5.17: no bpf_loop)
	check "round-robin with $STE, steer_loops (older kernels' program)" \
		bash -c "PS_STEER_PROG=steer_loops as $STE steer 8080 --policy round-robin >/dev/null"
	ip netns exec "$C" "$CLI" -a 10.78.0.1 -p 8080 -n 400 >"$DIR/rr2"
	check "steer_loops round-robin: 4 workers x 100 (client's tally)" \
		bash -c "[ \$(awk 'NF == 2 && \$2 == 100' '$DIR/rr2' | wc -l) -eq 4 ]"
	check "steer off with $STE" bash -c "as $STE steer off 8080 | grep -q 'kernel hash restored'"
}

# without a needed capability: one line, exit 2, nothing attached
t_missing_caps() {
	refused cap_net_admin CAP_BPF top -i vs --once
	refused cap_bpf CAP_NET_ADMIN top -i vs --once
	refused cap_bpf CAP_NET_ADMIN attach -i vs --pin
	refused cap_net_admin CAP_BPF metrics -i vs
	refused cap_bpf,cap_net_admin CAP_SYS_PTRACE steer 8080 --policy round-robin
	refused cap_bpf,cap_sys_ptrace CAP_NET_ADMIN steer 8080 --policy round-robin
	refused cap_net_admin CAP_BPF replay /dev/null
	check "nothing attached to vs" bash -c "! nsenter --net=/run/netns/$S ip link show vs | grep -q xdp"
	check "nothing steered" bash -c "! ls /sys/fs/bpf/portscope/steer 2>/dev/null | grep -q net$(stat -L -c %i /run/netns/"$S")-"
}

# another network namespace: entering it takes CAP_SYS_ADMIN, the one it
# runs in does not; reading pins of every namespace enters none
t_netns_caps() {
	local STE=cap_bpf,cap_net_admin,cap_sys_ptrace
	refused "$STE" CAP_SYS_ADMIN groups --netns "$C"
	refused "$STE" CAP_SYS_ADMIN groups --all-netns
	refused "$STE" CAP_SYS_ADMIN steer 8080 --netns "$C" --policy round-robin
	refused "$STE" CAP_SYS_ADMIN top -i vs --all-netns --once
	refused cap_bpf,cap_net_admin CAP_SYS_ADMIN attach --netns "$C" -i vc
	check "--netns naming its own namespace, with $STE" \
		bash -c "[ \$(as $STE groups --netns $S --port 8080 | grep -c rpserver) -eq 4 ]"
	check "steer status --all-netns and status --all-netns with $STE (pins only)" \
		bash -c "as $STE steer status --all-netns >/dev/null && as $STE status --all-netns >/dev/null"
	check "groups --all-netns with CAP_SYS_ADMIN too: the 4 workers, labelled" \
		bash -c "as $STE,cap_sys_admin groups --all-netns --port 8080 | grep -A5 'netns $S ' | grep -c rpserver | grep -qx 4"
	check "nothing attached to vc, nothing steered" bash -c \
		"! ip -n $C link show vc | grep -q xdp && ! ls /sys/fs/bpf/portscope/steer 2>/dev/null | grep -q net$(stat -L -c %i /run/netns/"$S")-"
}

# metrics: loopback unless asked
t_metrics_loopback() {
	local a MP
	for a in 10.78.0.1:9435 0.0.0.0:9435 '[::]:9435'; do
		refused cap_bpf,cap_net_admin "listen-public" metrics -i vs --listen "$a"
	done
	nsenter --net=/run/netns/"$S" "$PS" metrics -i vs --listen 127.0.0.1:9435 >/dev/null 2>&1 &
	MP=$!
	for _ in $(seq 50); do nsenter --net=/run/netns/"$S" ss -Htln 'sport = :9435' | grep -q . && break; sleep 0.1; done
	check "--listen 127.0.0.1:9435 serves loopback" \
		bash -c "nsenter --net=/run/netns/$S curl -sf http://127.0.0.1:9435/metrics | grep -q portscope_"
	check "not reachable from the other namespace" \
		bash -c "! ip netns exec $C curl -sf -m 2 http://10.78.0.1:9435/metrics >/dev/null"
	kill -INT "$MP"; wait "$MP" 2>/dev/null
}

# names never reach a shell or a format string
t_names_inert() {
	local n
	for n in '%s%s%s%n' '$(touch '"$DIR"'/pwned)' '`touch '"$DIR"'/pwned`' 'vs;touch '"$DIR"'/pwned' '../../etc'; do
		refused cap_bpf,cap_net_admin "$n" top -i "$n" --once
		refused cap_bpf,cap_net_admin,cap_sys_ptrace "$n" steer 8080 --drain "$n"
	done
	refused cap_bpf,cap_net_admin "%n" replay '/tmp/%n%n%s'
	check "no command ran" [ ! -e "$DIR/pwned" ]
}

run_tests
