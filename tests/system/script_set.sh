#!/bin/sh
# script_set.sh STATE record ip owner expiry ttl zone: a SCRIPT_SET for the tests
# that keeps the lease in the files STATE.a and STATE.txt. Writes DNS_TXT (the
# whole value, epoch included) unless STATE.drop-epoch exists, in which case it
# builds the TXT from its arguments as the seed's example does. STATE.set-mode
# may say: fail (exit 1 after a message on stderr), hang (sleep, then write).
state=$1
shift
[ $# -eq 6 ] || { echo "script_set.sh: expected 6 arguments, got $#: $*" >&2; exit 2; }
echo "$*" >>"$state.set-args"
env | sort >"$state.set-env"
mode=$(cat "$state.set-mode" 2>/dev/null)
case $mode in
fail) echo "set: the DNS API said no (HTTP 403)" >&2; exit 1 ;;
hang) echo $$ >"$state.pgid"; sleep 60 ;;
esac
txt=$DNS_TXT
[ -e "$state.drop-epoch" ] && txt="owner=$3 exp=$4"
printf '%s\n' "$2" >"$state.a.tmp" && mv "$state.a.tmp" "$state.a"
printf '%s\n' "$txt" >"$state.txt.tmp" && mv "$state.txt.tmp" "$state.txt"
exit 0
