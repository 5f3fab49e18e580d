#!/usr/bin/env bash
# Writers racing a compare-and-swap from the same old value against a real
# named: exactly one wins, every other one gets a conflict, and the zone
# holds the winner's value.
set -eu
. "$top_srcdir/tests/system/lib.sh"
sys_require named dig tsig-keygen
sys_setup
sys_start_named hmac-sha256
sys_write_config "$T/primary.env"
assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init

for n in 2 8; do
	for round in 1 2 3; do
		assert_exit 0 "$n writers, round $round: exactly one wins" -- \
			"$top_builddir/tests/system/cas_race" -c "$T/primary.env" -n "$n"
		winner=$(printf '%s\n' "$OUT" | sed -n 's/^writer [0-9]*: won exp=//p')
		[ -n "$winner" ] || fail "no winner line in: $OUT"
		assert_contains "$(sys_dig TXT)" "exp=$winner " "the zone holds the winner's value"
		assert_contains "$OUT" "changed since it was read" "losers are told why"
	done
done

# The same race through the dry-run provider's state file.
sys_write_config "$T/dry.env" DNS_PROVIDER=dry-run DRYRUN_STATEFILE="$T/state.json" TSIG_KEYFILE=
assert_exit 0 "dry-run init" -- "$DNSFAILOVER" -c "$T/dry.env" init
assert_exit 0 "dry-run: exactly one of 8 wins" -- \
	"$top_builddir/tests/system/cas_race" -c "$T/dry.env" -n 8
sys_log "PASS"
