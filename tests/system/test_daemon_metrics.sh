#!/usr/bin/env bash
# A running daemon's METRICS_LISTEN endpoint: /healthz answers, /metrics
# reports the lease and activity as they change, and promtool accepts it.
set -eu
. "$top_srcdir/tests/system/failover.sh"
fo_begin
sys_require promtool
mport=$(sys_free_port)
echo "METRICS_LISTEN=127.0.0.1:$mport" >>"$T/primary.env"

get()
{
	sys_http_get "$mport" "$1"
}

# renewed_twice: true when /metrics counts at least two successful renewals.
renewed_twice()
{
	local n
	n=$(get /metrics | sed -n 's/^dnsfailover_renewals_total{result="ok"} //p')
	[ "${n:-0}" -ge 2 ]
}

assert_exit 0 "init" -- "$DNSFAILOVER" -c "$T/primary.env" init
fo_start primary
fo_wait_log primary "Serving /metrics and /healthz on http://127.0.0.1:$mport" 5
assert_eq "$(get /healthz)" "ok" "/healthz"
fo_wait_log primary "Site is now ACTIVE" 10
sys_wait_for 5 "two renewals counted in /metrics" renewed_twice
page=$(get /metrics)
assert_contains "$page" 'dnsfailover_info{role="primary"' "role"
assert_contains "$page" "dnsfailover_active 1" "active"
assert_contains "$page" 'dnsfailover_lease_owner{owner="primary"} 1' "owner"
assert_contains "$page" "dnsfailover_lease_epoch 1" "epoch"
renewals=$(printf '%s\n' "$page" | sed -n 's/^dnsfailover_renewals_total{result="ok"} //p')
[ "${renewals:-0}" -ge 2 ] || fail "renewals counted: ${renewals:-none}"
printf '%s\n' "$page" >"$T/page.txt"
promtool check metrics <"$T/page.txt" >"$T/promtool.out" 2>&1 ||
	fail "promtool rejected the page: $(cat "$T/promtool.out")"
[ ! -s "$T/promtool.out" ] || fail "promtool found problems: $(cat "$T/promtool.out")"

# Step down: named away for longer than RENEW_DEADLINE.
sys_stop_named
fo_wait_log primary "Site is now STANDBY" $((FO_D + 2))
page=$(get /metrics)
assert_contains "$page" "dnsfailover_active 0" "inactive after step-down"
assert_contains "$page" 'dnsfailover_step_downs_total{reason="deadline"} 1' "step-down counted"
errors=$(printf '%s\n' "$page" | sed -n 's/^dnsfailover_renewals_total{result="error"} //p')
[ "${errors:-0}" -ge 1 ] || fail "failed renewals not counted"
fo_stop primary
sys_log "PASS"
