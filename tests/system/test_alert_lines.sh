#!/usr/bin/env bash
# Every line of doc/RUNBOOK.md's "Log lines to alert on" table is one the
# program prints: its text starts a string literal on a line of code (not a
# comment) in src/. The original tool's three log-line alerts are in the table.
set -eu
. "$top_srcdir/tests/system/lib.sh"
doc=$top_srcdir/doc/RUNBOOK.md

# The second column of each table row of the section, backquotes removed.
# shellcheck disable=SC2016 # backquotes of the Markdown, not a command
lines=$(awk '/^## Log lines to alert on$/ { on = 1; next }
	/^## / { on = 0 }
	on && /^\| / && !/^\| Alert / { split($0, col, "|"); print col[3] }' "$doc" |
	sed -n 's/^ *`\([^`]*\)`.*$/\1/p')
n=$(printf '%s\n' "$lines" | grep -c . || true)
[ "$n" -ge 5 ] || fail "found $n lines in the section \"Log lines to alert on\" of $doc"

# The code of src/: string literals on lines that are not comments.
code=$(grep -rh --include='*.c' --include='*.h' '"' "$top_srcdir/src" |
	grep -vE '^[[:space:]]*(/\*|\*|//)')
while IFS= read -r line; do
	case $code in
	*"\"$line"*) sys_log "printed: $line" ;;
	*) fail "doc/RUNBOOK.md lists \"$line\" but no string in src/ starts with it" ;;
	esac
done <<<"$lines"

for seed in "FAILOVER: Promoted" "health check failed" "Failed to renew lease"; do
	assert_contains "$lines" "$seed" "the original tool's alert on \"$seed\" is listed"
done
# The doc points here from the README and the manual.
assert_contains "$(cat "$top_srcdir/README.md")" "Log lines to alert on" "README refers to the table"
assert_contains "$(cat "$top_srcdir/doc/dnsfailover.8")" "Log lines to alert on" "dnsfailover(8) refers to the table"
echo "PASS: $n documented alert lines all printed by the program"
