#!/bin/sh
# script_get.sh STATE record zone: a SCRIPT_GET for the tests that prints the lease
# kept by script_set.sh as {"A": ..., "TXT": ...}. STATE.get-mode may say: exit1
# (exit 1 after a message on stderr), badjson (a cut object), hang (sleep 60).
state=$1
shift
[ $# -eq 2 ] || { echo "script_get.sh: expected 2 arguments, got $#: $*" >&2; exit 2; }
mode=$(cat "$state.get-mode" 2>/dev/null)
case $mode in
exit1) echo "get: cannot reach the DNS API" >&2; exit 1 ;;
badjson) printf '{"A": "192.0.2.10", "TXT": '; exit 0 ;;
hang) echo $$ >"$state.pgid"; echo $$ >>"$state.pgids"; sleep 60 ;;
esac
a=$(cat "$state.a" 2>/dev/null)
txt=$(cat "$state.txt" 2>/dev/null)
printf '{"A": "%s", "TXT": "%s"}\n' "$a" "$txt"
