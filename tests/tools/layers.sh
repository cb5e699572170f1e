#!/usr/bin/env bash
# The tree's rules, checked: dependencies run one way between the folders
# of user/ (cli -> view -> steer, trace, observe -> sockets -> lib), no include
# circle between files, every command in cli/ and nothing including a
# command, and no function over 60 lines. Prints what it finds; exit 1 on a
# broken rule. Used by tests/e2e/test_layout.sh; run it alone as
#   bash tests/tools/layers.sh [-v]
set -u
cd "$(dirname "$0")/../.."
VERBOSE=${1:-}
rank() {	# a folder's layer: a file may include its own layer or lower ones
	case $1 in
	lib) echo 0 ;; sockets | observe) echo 1 ;; steer | trace) echo 2 ;; view) echo 3 ;; cli) echo 4 ;;
	*) echo 99 ;;
	esac
}
bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in user/*/*.[ch]; do
	from=${f#user/}
	while read -r inc; do
		to_dir=${inc%%/*}
		[ -f "user/$inc" ] || continue
		echo "$from $inc" >>"$edges"
		if [ "$(rank "$to_dir")" -gt "$(rank "${from%%/*}")" ]; then
			echo "upward include: $from -> $inc"
			bad=1
		fi
		if [ "$to_dir" = cli ] && [ "$inc" != cli/commands.h ]; then
			echo "includes a command: $from -> $inc"
			bad=1
		fi
	done < <(sed -n 's/^#include "\([a-z_]*\/[a-z_]*\.h\)".*/\1/p' "$f")
done
# a circle between files (x.c counts as x.h: a header and its source are one unit)
sed -e 's/\.[ch]\b//g' "$edges" | awk '$1 != $2' | sort -u | tsort >/dev/null 2>"$edges.err"
if [ -s "$edges.err" ]; then
	echo "include circle:"; cat "$edges.err"; bad=1
fi
rm -f "$edges.err"
# commands live in cli/ only
if grep -ln '^const struct cmd cmd_' user/*/*.c | grep -v '^user/cli/'; then
	echo "a command outside cli/"; bad=1
fi
# functions longer than 60 lines (from the line after '{' to the closing '}')
long=$(awk 'FNR == 1 { start = 0 }
	/^[a-z].*\(/ && !/;$/ { name = $0; fn = FILENAME }
	/^{$/ { start = FNR }
	/^}$/ && start { n = FNR - start - 1; if (n > max) { max = n; where = fn ": " name }
			 if (n > 60) print n " lines: " fn ": " name; start = 0 }
	END { print "longest: " max " lines, " where > "/dev/stderr" }' user/*/*.c 2>&1 >/dev/null)
over=$(awk 'FNR == 1 { start = 0 } /^[a-z].*\(/ && !/;$/ { name = $0; fn = FILENAME }
	/^{$/ { start = FNR } /^}$/ && start { if (FNR - start - 1 > 60) print FNR - start - 1 " lines: " fn ": " name; start = 0 }' user/*/*.c)
echo "$long"
if [ -n "$over" ]; then
	echo "over 60 lines:"; echo "$over"; bad=1
fi
[ -n "$VERBOSE" ] && sort -u "$edges" | awk '{print "  " $1 " -> " $2}'
[ $bad -eq 0 ] && echo "layers: one way, no circle, commands in cli/ only"
exit $bad
