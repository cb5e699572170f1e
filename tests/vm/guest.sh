#!/usr/bin/env bash
# tests/vm/guest.sh TEST...: run inside the test VM (from /src/vm-job.sh):
# each cmocka program or e2e suite in turn, bounded in time, with the
# results added up as tests/run-all.sh does. A suite line is
# "NAME: N passed, N failed (T s)", the last line "total: N passed, N failed".
# TEST is a path under /src, with optional VAR=value settings before it
# (e.g. PS_DIFF_PACKETS=200000 build/tests/test_diff).
set -u
cd /src
pass=0 fail=0 failed=()
per=${VM_SUITE_TIMEOUT:-1500}
out=$(mktemp)

count() {	# name, output file, exit status, seconds
	local p f
	p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$2" | awk '{s+=$NF} END {print s+0}')
	f=$(grep -oE '^\[  FAILED  \] [0-9]+' "$2" | awk '{s+=$NF} END {print s+0}')
	if ! grep -qE '^\[  (PASSED|FAILED)  \]' "$2"; then
		read -r p f < <(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$2" | tail -1 |
			sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/')
		p=${p:-0} f=${f:-0}
	fi
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)) fail=$((fail + f))
	[ "$f" -eq 0 ] || failed+=("$1")
	echo "suite $1: $p passed, $f failed ($4 s, exit $3)"
}

for spec in "$@"; do
	read -ra words <<<"$spec"
	t=${words[-1]}
	echo "=== $t"
	t0=$SECONDS
	case $t in
	*.sh) env "${words[@]:0:${#words[@]}-1}" timeout -k 10 "$per" bash "$t" >"$out" 2>&1 ;;
	*) env "${words[@]:0:${#words[@]}-1}" timeout -k 10 "$per" "$t" >"$out" 2>&1 ;;
	esac
	st=$?
	cat "$out"
	[ "$st" -eq 124 ] && echo "  FAIL $t: timed out after $per s"
	count "$t" "$out" "$st" $((SECONDS - t0))
done
rm -f "$out"
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "total: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
