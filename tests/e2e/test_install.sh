#!/usr/bin/env bash
# make install / uninstall into a staging DESTDIR: the binary, the man page
# and the bash completion land where PREFIX says, work, and go away again.
# (No root needed.)
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$ROOT" "$@"; }

# every test looks at what this installed
setup() {
	D=$(mktemp -d)
	C=$D/usr/share/bash-completion/completions/portscope
	check "make install DESTDIR=… PREFIX=/usr" mk install DESTDIR="$D" PREFIX=/usr >/dev/null
}
teardown() { [ -z "$D" ] || rm -rf "$D"; }

t_installed() {
	check "binary installed 0755 and runs" bash -c "[ \$(stat -c %a '$D/usr/sbin/portscope') = 755 ] && '$D/usr/sbin/portscope' version | grep -q '^portscope '"
	check "man page installed, renders" bash -c "MANWIDTH=200 man -l '$D/usr/share/man/man8/portscope.8' 2>/dev/null | grep -q 'portscope - show how a port'"
}

t_completion() {
	comp() {	# comp WORDS…: what completing the last word offers
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _portscope; echo "${COMPREPLY[*]}"' _ "$C" "$@"
	}
	check "completion: 'portscope st' -> status steer" test "$(comp portscope st)" = "status steer"
	check "completion: steer --policy -> the six policies" bash -c "[ \"\$(echo \$(. '$C'; COMP_WORDS=(portscope steer 80 --policy ''); COMP_CWORD=4; _portscope; echo \${COMPREPLY[*]}))\" = 'hash round-robin weighted least-conn source-affinity cpu' ]"
	check "completion: top -i -> interfaces (lo)" bash -c ". '$C'; COMP_WORDS=(portscope top -i l); COMP_CWORD=3; _portscope; [[ \" \${COMPREPLY[*]} \" == *' lo '* ]]"
}

# make, on a host that serves with nginx, leaves it serving: building and
# installing portscope never stops, disables or kills a service (an nginx of
# our own, in a namespace of our own, found by its pid file)
t_make_leaves_nginx() {
	local ns=ps-inst-$$ n pid
	if [ "$(id -u)" -ne 0 ] || ! command -v nginx >/dev/null; then
		echo "needs root and nginx"
		[ "${CI:-}" != true ]
		return
	fi
	n=$(mktemp -d)
	printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp { access_log off; server { listen 127.0.0.1:8099; return 204; } }\n' \
		"$n" "$n" >"$n/nginx.conf"
	ip netns add "$ns" && ip -n "$ns" link set lo up
	ip netns exec "$ns" nginx -c "$n/nginx.conf" -p "$n" -e "$n/error.log"
	pid=$(cat "$n/nginx.pid" 2>/dev/null)
	check "our nginx serves (pid $pid)" ip netns exec "$ns" curl -s -o /dev/null --max-time 5 http://127.0.0.1:8099/
	check "make all exits 0" mk all >/dev/null
	check "make install exits 0" mk install DESTDIR="$n/dest" PREFIX=/usr >/dev/null
	check "nginx $pid still runs and serves after make and make install" bash -c \
		"kill -0 $pid && ip netns exec $ns curl -s -o /dev/null --max-time 5 http://127.0.0.1:8099/"
	[ -n "$pid" ] && kill "$pid"
	ip netns del "$ns"
	rm -rf "$n"
}

t_uninstall() {
	check "make uninstall removes all three" bash -c "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C '$ROOT' uninstall DESTDIR='$D' PREFIX=/usr >/dev/null && [ -z \"\$(find '$D' -type f)\" ]"
}

run_tests
