#!/usr/bin/env bash
# The fuzz targets (tests/fuzz/) over their seeds and every regression input
# (a crash the fuzzers found, kept once fixed), with the ordinary build. The
# fuzzers themselves run under libFuzzer in `make soak`.
set -u
. "$(dirname "$0")/lib.sh"
need_root

ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# every fuzz runner built, over its corpus
t_corpora() {
	local runner name dir n
	for runner in "$BUILD_DIR"/tests/fuzz/fuzz_*; do
		case $runner in *.d) continue ;; esac
		name=$(basename "$runner")
		dir=$ROOT/tests/fuzz/corpus/${name#fuzz_}
		n=$(find "$dir" -type f | wc -l)
		check "$name over $n inputs in tests/fuzz/corpus/${name#fuzz_}" \
			bash -c "find '$dir' -type f -print0 | xargs -0 '$runner' | grep -q '^$n inputs, no crash'"
	done
}

run_tests
