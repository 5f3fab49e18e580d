# shellcheck shell=bash
# bench/lib.sh: pieces the benchmarks share, on top of tests/system/lib.sh.

# bench_nsupdate_script FILE N: writes to FILE an nsupdate script of N CAS renewals of the
# lease now at $RECORD (prerequisite on the previous TXT, delete TXT and A, add both, send),
# the same changes dnsfailover's renewals make. Sets BENCH_EXP to the current exp, so that
# the caller can check that exp=$((BENCH_EXP + N)) was reached.
bench_nsupdate_script()
{
	local file=${1:?bench_nsupdate_script FILE N} n=${2:?bench_nsupdate_script FILE N}
	local txt epoch i
	txt=$(sys_dig TXT | tr -d '"')
	BENCH_EXP=$(sed -n 's/.*exp=\([0-9]*\).*/\1/p' <<<"$txt")
	epoch=$(sed -n 's/.*epoch=\([0-9]*\).*/\1/p' <<<"$txt")
	[ -n "$BENCH_EXP" ] && [ -n "$epoch" ] || fail "cannot read the lease TXT: $txt"
	{
		echo "server 127.0.0.1 $NAMED_PORT"
		echo "zone $ZONE"
		for i in $(seq 1 "$n"); do
			echo "prereq yxrrset $RECORD TXT \"owner=primary exp=$((BENCH_EXP + i - 1)) epoch=$epoch\""
			echo "update delete $RECORD TXT"
			echo "update delete $RECORD A"
			echo "update add $RECORD 30 TXT \"owner=primary exp=$((BENCH_EXP + i)) epoch=$epoch\""
			echo "update add $RECORD 30 A 192.0.2.10"
			echo "send"
		done
	} >"$file"
}
