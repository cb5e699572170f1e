#!/usr/bin/env bash
# Runs every test program given as arguments, then every tests/e2e/test_*.sh,
# and adds up their results. cmocka programs report "[  PASSED  ] N test(s)"
# and "[  FAILED  ] N test(s)"; shell suites end with "N passed, N failed".
# A program that dies without a summary counts as one failure.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 failed=()

count() {	# name, output file, exit status
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
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "$@" tests/e2e/test_*.sh; do
	[ -e "$t" ] || continue
	echo "=== $t"
	case $t in
	*.sh) bash "$t" 2>&1 | tee "$out"; st=${PIPESTATUS[0]} ;;
	*) "$t" 2>&1 | tee "$out"; st=${PIPESTATUS[0]} ;;
	esac
	count "$t" "$out" "$st"
done
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "total: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
