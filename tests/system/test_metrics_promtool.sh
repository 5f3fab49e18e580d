#!/usr/bin/env bash
# The /metrics page passes `promtool check metrics` (parse and lint) without a
# single remark: once as metrics_render() prints it, once as scraped over HTTP
# from the libmicrohttpd listener. Both pages must be the same bytes.
# Builds nothing: tests/system/metrics_dump comes from `make check`.
set -eu
top_builddir=${top_builddir:-$PWD}
DUMP=$top_builddir/tests/system/metrics_dump

if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIP: promtool not found (Debian package prometheus; scripts/install-deps installs it)"
	exit 77
fi
if [ ! -x "$DUMP" ]; then
	echo "FAIL: $DUMP not built (run make check)" >&2
	exit 1
fi
if ! command -v timeout >/dev/null 2>&1; then
	echo "SKIP: required command 'timeout' not found"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/dnsfailover-metrics.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail()
{
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# check NAME FILE: promtool must accept FILE and say nothing.
check()
{
	local rc=0
	timeout 30 promtool check metrics <"$2" >"$T/$1.promtool" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$T/$1.promtool" ]; then
		echo "--- $1 page:" >&2
		cat "$2" >&2
		echo "--- promtool (exit $rc):" >&2
		cat "$T/$1.promtool" >&2
		fail "promtool check metrics rejected the $1 page"
	fi
	echo "ok: promtool check metrics accepts the $1 page ($(grep -vc '^#' "$2") samples)"
}

timeout 20 "$DUMP" >"$T/rendered" || fail "metrics_dump failed"
[ -s "$T/rendered" ] || fail "metrics_dump printed nothing"
check rendered "$T/rendered"

timeout 20 "$DUMP" --http >"$T/scraped" || fail "metrics_dump --http (scrape over HTTP) failed"
check scraped "$T/scraped"
cmp -s "$T/rendered" "$T/scraped" || fail "the scraped page differs from the rendered one:
$(diff "$T/rendered" "$T/scraped" || true)"
echo "ok: the scraped page is the rendered page"

# Every metric the issue names, with the values metrics_dump filled in.
for want in \
	'dnsfailover_info{role="dr",version="' \
	'dnsfailover_active 1' \
	'dnsfailover_lease_expiry_timestamp_seconds 1769571600' \
	'dnsfailover_lease_epoch 7' \
	'dnsfailover_lease_owner{owner="dr"} 1' \
	'dnsfailover_lease_owner{owner="primary"} 0' \
	'dnsfailover_renewals_total{result="ok"} 42' \
	'dnsfailover_renewals_total{result="conflict"} 1' \
	'dnsfailover_renewals_total{result="error"} 2' \
	'dnsfailover_health_checks_total{result="ok"} 100' \
	'dnsfailover_health_checks_total{result="failed"} 1' \
	'dnsfailover_failovers_total 1' \
	'dnsfailover_step_downs_total{reason="deadline"} 1' \
	'dnsfailover_step_downs_total{reason="lost"} 0' \
	'dnsfailover_step_downs_total{reason="shutdown"} 1' \
	'dnsfailover_clock_skew_seconds -2' \
	'dnsfailover_last_update_latency_seconds 0.0421' \
	'dnsfailover_watcher_actions_total{action="start",result="ok"} 1' \
	'dnsfailover_watcher_actions_total{action="stop",result="error"} 1' \
	'dnsfailover_watcher_actions_total{action="stop",result="ok"} 0'; do
	grep -qF -- "$want" "$T/rendered" || fail "no line with '$want' in the page"
done
echo "ok: every metric is on the page"
