#!/usr/bin/env bash
# Runs every test program given as arguments, then every tests/e2e/test_*.sh,
# and adds up their results. cmocka programs report "[  PASSED  ] N test(s)"
# and "[  FAILED  ] N test(s)"; shell suites end with "N passed, N failed"
# (checks), optionally ", N skipped" (tests). A program that dies without a
# summary counts as one failure.
#
# Each runs under a time limit (timeout -k 10): TEST_TIMEOUT seconds (default
# 300), or what a suite's own "# timeout: N" line says, times TEST_TIME_SCALE
# (default 1; make vmtest's guests: 3, qemu TCG is ~5x slower); under an ASan
# build (make asan) tripled again. An overrun is a failure naming the suite.
#
#   SUITES="steer cli test_model"  run only these (a suite by its name, with
#                                  or without test_ and .sh; a program by
#                                  its file name); an unknown name fails
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 skipped=0 failed=()
LIMIT=${TEST_TIMEOUT:-300}
SCALE=${TEST_TIME_SCALE:-1}
grep -q __asan_init "${PS:-build/portscope}" 2>/dev/null && SCALE=$((SCALE * 3))

count() {	# name, output file, exit status
	local p f s
	p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$2" | awk '{s+=$NF} END {print s+0}')
	f=$(grep -oE '^\[  FAILED  \] [0-9]+' "$2" | awk '{s+=$NF} END {print s+0}')
	s=0
	if ! grep -qE '^\[  (PASSED|FAILED)  \]' "$2"; then
		read -r p f s < <(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$2" | tail -1 |
			sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\2 \3 \5/')
		p=${p:-0} f=${f:-0} s=${s:-0}
	fi
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
	[ "$f" -eq 0 ] || failed+=("$1")
}

# limit FILE: its time limit in seconds
limit() {
	local l=
	case $1 in *.sh) l=$(sed -nE '1,30s/^# timeout: ([0-9]+)$/\1/p' "$1" | head -1) ;; esac
	echo $((${l:-$LIMIT} * SCALE))
}

# selected FILE: no SUITES, or FILE named in it
selected() {
	local n b=${1##*/}
	[ -z "${SUITES:-}" ] && return 0
	for n in $SUITES; do
		case $n in "$b" | "$b.sh" | "${b%.sh}" | "${b#test_}" | "$(basename "${b#test_}" .sh)") return 0 ;; esac
	done
	return 1
}

all=("$@" tests/e2e/test_*.sh)
# names in SUITES that match nothing
for n in ${SUITES:-}; do
	found=
	for t in "${all[@]}"; do SUITES=$n selected "$t" && found=1; done
	[ -n "$found" ] || { echo "no suite or test program '$n'"; fail=$((fail + 1)); failed+=("$n (no such suite)"); }
done

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "${all[@]}"; do
	if [ ! -e "$t" ] || ! selected "$t"; then continue; fi
	lim=$(limit "$t")
	t0=$SECONDS
	echo "=== $t"
	case $t in
	*.sh) timeout -k 10 "$lim" bash "$t" 2>&1 | tee "$out"; st=${PIPESTATUS[0]} ;;
	*) timeout -k 10 "$lim" "$t" 2>&1 | tee "$out"; st=${PIPESTATUS[0]} ;;
	esac
	if { [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; } && [ $((SECONDS - t0)) -ge "$lim" ]; then
		echo "${t##*/}: timed out after $lim s"
		count "${t##*/} (timed out after $lim s)" "$out" 1
	else
		count "$t" "$out" "$st"
	fi
done
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
[ "$skipped" -eq 0 ] || echo "skipped: $skipped tests (see the SKIP lines)"
echo "total: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
