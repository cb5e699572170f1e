#!/usr/bin/env bash
# make soak: the long runs, bounded (~10 min on 2 cores).
#   1. each fuzzer (build-fuzz/fuzz/NAME, libFuzzer + ASan + UBSan) for
#      FUZZ_SECS seconds from its seeds; a crash fails the soak and is left in
#      build-fuzz/crashes/ (fix it, then keep it in tests/fuzz/corpus/NAME/)
#   2. the loader-fault sweep at every system call (FAULTS_FULL=1)
#   3. the differential parse over SOAK_DIFF_PACKETS random frames
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
need_root
SECS=${FUZZ_SECS:-60}
mkdir -p build-fuzz/crashes

for name in "$@"; do
	work=build-fuzz/corpus/${name#fuzz_}
	mkdir -p "$work"
	echo "--- $name for ${SECS}s"
	build-fuzz/fuzz/"$name" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzz/crashes/"$name"- -print_final_stats=1 \
		"$work" tests/fuzz/corpus/"${name#fuzz_}" >build-fuzz/"$name".log 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/"$name".log)
	cov=$(grep -o 'cov: [0-9]*' build-fuzz/"$name".log | tail -1)
	check "$name: ${runs:-?} inputs in ${SECS}s, $cov, no crash (log build-fuzz/$name.log)" [ "$st" -eq 0 ]
done

echo "--- loader faults at every system call"
FAULTS_FULL=1 bash tests/e2e/test_faults.sh | tee build-fuzz/faults.log | grep -v '^  ok'
check "fault sweep (build-fuzz/faults.log)" grep -q ' 0 failed$' build-fuzz/faults.log

echo "--- differential parse, ${SOAK_DIFF_PACKETS:-5000000} frames"
PS_DIFF_PACKETS=${SOAK_DIFF_PACKETS:-5000000} "$BUILD_DIR"/tests/test_diff >build-fuzz/diff.log 2>&1
check "kernel parser = reference parser ($(grep -o '[0-9]* disagreements' build-fuzz/diff.log | head -1))" \
	grep -q 'PASSED' build-fuzz/diff.log
finish
