#!/usr/bin/env bash
# The tree and the command line keep their rules: dependencies one way, no
# include circle, commands only in cli/, functions of at most 60 lines
# (tests/tools/layers.sh); every command's options, as its --help prints
# them from its table, are exactly those of the man page and the completion
# (both generated from the same tables); short letters mean one thing.
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$BUILD_DIR/portscope.8
COMP=$BUILD_DIR/portscope.bash-completion
D=

setup() { D=$(mktemp -d); }
teardown() { [ -z "$D" ] || rm -rf "$D"; }

t_layers() {
	check "layers: one way, no circle, commands in cli/, no function over 60 lines" \
		bash "$ROOT/tests/tools/layers.sh"
}

# the long options of a command: from its --help, its man section, its completion
help_opts() { "$PS" "$1" --help | grep -oE '^  (-[a-zA-Z], |    )--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort -u; }
man_opts() {
	awk -v c="$1" '/^\.SS / { on = ($2 == c) } on' "$MAN" | grep -oE '^\.B (\\-[a-zA-Z]\\fR, \\fB)?\\-\\-[a-z\\-]+' |
		sed -e 's/.*\\-\\-/--/' -e 's/\\-/-/g' | sort -u
}
comp_opts() {
	bash -c '. "$1"; COMP_WORDS=(portscope "$2" --); COMP_CWORD=2; _portscope; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$COMP" "$1" | grep -v -- '--json\|--verbose\|--help' | sort -u
}
t_docs_from_tables() {
	local cmd
	for cmd in $("$PS" help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'); do
		case $cmd in help | version | docs) continue ;; esac
		help_opts "$cmd" | grep -v -- '--json\|--verbose\|--help' >"$D/h"
		man_opts "$cmd" >"$D/m"
		comp_opts "$cmd" >"$D/c"
		check "$cmd: man page lists exactly the options of its table ($(wc -l <"$D/h"))" diff "$D/h" "$D/m"
		check "$cmd: completion offers exactly the options of its table" diff "$D/h" "$D/c"
	done
}

t_short_letters() {
	# one meaning per short letter, across every command
	"$PS" docs man-commands | grep -oE '^\.B \\-[a-zA-Z]\\fR, \\fB\\-\\-[a-z\\-]+' |
		sed -e 's/^\.B \\-\(.\)\\fR, \\fB\\-\\-/\1 /' -e 's/\\-/-/g' | sort -u >"$D/shorts"
	check "each short letter means one option everywhere ($(wc -l <"$D/shorts") letters)" \
		test "$(cut -d' ' -f1 "$D/shorts" | uniq -d | wc -l)" -eq 0
}

t_common_options() {
	check "-j, -v, -h before the command" bash -c "'$PS' -j -v steer status >/dev/null"
	check "old spelling --all-ports still parses" bash -c "'$PS' top --all-ports --help >/dev/null"
	check "--interval takes ms: steer --interval 50ms parses, 0 does not" bash -c \
		"'$PS' steer --interval 50ms --help >/dev/null && ! '$PS' steer 80 --interval 0 2>/dev/null"
	check "-j on a command without JSON output is refused, exit 2" bash -c \
		"'$PS' demo -j 2>/dev/null; [ \$? -eq 2 ]"
}

run_tests
