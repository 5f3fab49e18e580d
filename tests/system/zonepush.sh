# shellcheck shell=bash
# tests/system/zonepush.sh: helpers for the zonepushd system tests, on top of lib.sh.
#
#   zp_start_named NAME          a named with an rndc control channel on a loopback port
#                                and an include file zonepushd writes: $T/NAME/...
#   zp_write_conf [KEY=VALUE...] $T/zp.conf with one bind backend per named started
#   zp_start / zp_stop / zp_kill9
#   da_rawsave DOMAIN FILE [HOSTNAME] [USERNAME]   speaks as DA: HTTP/1.0, no User-Agent,
#   da_delete BODY                                 no Content-Type, Basic auth
#   da_get TARGET
#   zp_zone DOMAIN SERIAL [IP]   a zone body laid out as DA sends it
ZONEPUSHD=${ZONEPUSHD:-$top_builddir/zonepushd}
ZP_USER=da-admin
ZP_PASSWORD=ZpTest-pw-123
ZP_NAMEDS=()

# zp_begin CMD...: skips unless every CMD is there, checks zonepushd was built, sys_setup.
zp_begin()
{
	sys_require "$@"
	[ -x "$ZONEPUSHD" ] || fail "no zonepushd at $ZONEPUSHD (make builds it)"
	sys_setup
}

# zp_start_named NAME: named on free DNS and control ports, zones in $T/NAME/zones, the
# include file $T/NAME/named.conf.local (empty at first). Sets NAME_DNS_PORT, NAME_RNDC_PORT.
zp_start_named()
{
	local n=$1 dir=$T/$1 dns rndcp secret i
	mkdir -p "$dir/zones"
	: >"$dir/named.conf.local"
	secret=$(head -c 32 /dev/urandom | base64)
	for i in 1 2 3; do
		dns=$(sys_free_port) && rndcp=$(sys_free_port) || fail "no free port"
		printf '%s\n' \
			"key \"zp-rndc\" { algorithm hmac-sha256; secret \"$secret\"; };" \
			"options { default-key \"zp-rndc\"; default-server 127.0.0.1; default-port $rndcp; };" \
			>"$dir/rndc.conf"
		chmod 600 "$dir/rndc.conf"
		printf '%s\n' \
			"options {" \
			"	directory \"$dir\";" \
			"	pid-file \"$dir/named.pid\";" \
			"	session-keyfile \"$dir/session.key\";" \
			"	listen-on port $dns { 127.0.0.1; };" \
			"	listen-on-v6 { none; };" \
			"	recursion no;" \
			"	dnssec-validation no;" \
			"	notify no;" \
			"};" \
			"key \"zp-rndc\" { algorithm hmac-sha256; secret \"$secret\"; };" \
			"controls { inet 127.0.0.1 port $rndcp allow { 127.0.0.1; } keys { \"zp-rndc\"; }; };" \
			"include \"$dir/named.conf.local\";" \
			>"$dir/named.conf"
		# ZP_NAMED_EXTRA: more configuration (a key, a zone of our own).
		[ -z "${ZP_NAMED_EXTRA:-}" ] || printf '%s\n' "$ZP_NAMED_EXTRA" >>"$dir/named.conf"
		_zp_named_launch "$n" && break
		grep -q 'address in use' "$T/$n.log" || fail "named $n did not start; see $T/$n.log"
	done
	printf -v "${n}_DNS_PORT" %s "$dns"
	printf -v "${n}_RNDC_PORT" %s "$rndcp"
	export "${n}_DNS_PORT" "${n}_RNDC_PORT"
	case " ${ZP_NAMEDS[*]} " in *" $n "*) ;; *) ZP_NAMEDS+=("$n") ;; esac
	sys_log "named $n up: DNS 127.0.0.1#$dns, rndc 127.0.0.1#$rndcp"
}

_zp_named_launch()
{
	local n=$1 i
	sys_spawn "$n" named -g -c "$T/$n/named.conf"
	for ((i = 0; i < 100; i++)); do
		_sys_tracked_alive "$n" || return 1
		rndc -c "$T/$n/rndc.conf" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# zp_restart_named NAME: the same named again (same ports, config, zones).
zp_restart_named()
{
	_zp_named_launch "$1" || fail "named $1 did not come back; see $T/$1.log"
	sys_log "named $1 restarted"
}

# zp_dig NAME QNAME TYPE: short answer from named NAME.
zp_dig()
{
	local port_var="${1}_DNS_PORT"
	dig @127.0.0.1 -p "${!port_var}" +norec +short +time=2 +tries=1 "$2" "$3"
}

# zp_serial NAME ZONE: the SOA serial named NAME serves for ZONE ("" when none).
zp_serial()
{
	zp_dig "$1" "$2" SOA | awk '{ print $3 }'
}

# zp_write_conf [KEY=VALUE ...]: global keys first, then one [backend NAME] of type bind
# per zp_start_named NAME; "BACKEND_EXTRA=text" appends raw text (printf %b) at the end.
zp_write_conf()
{
	local kv n extra=
	ZP_PORT=${ZP_PORT:-$(sys_free_port)}
	export ZP_PORT
	printf '%s\n' "$ZP_PASSWORD" >"$T/zp.pw"
	chmod 600 "$T/zp.pw"
	{
		echo "# zonepushd test configuration"
		echo "listen = 127.0.0.1:$ZP_PORT"
		echo "user = $ZP_USER"
		echo "password_file = $T/zp.pw"
		echo "state_db = $T/queue.db"
		for kv in "$@"; do
			case $kv in
			BACKEND_EXTRA=*) extra=${kv#BACKEND_EXTRA=} ;;
			*) echo "${kv%%=*} = ${kv#*=}" ;;
			esac
		done
		for n in "${ZP_NAMEDS[@]}"; do
			[ -z "${ZP_NO_BIND:-}" ] || break
			echo
			echo "[backend $n]"
			echo "type = bind"
			echo "zones_dir = $T/$n/zones"
			echo "include_file = $T/$n/named.conf.local"
			echo "rndc_args = -c $T/$n/rndc.conf"
			echo "rndc_timeout = ${ZP_RNDC_TIMEOUT:-5}"
		done
		[ -z "$extra" ] || printf '%b\n' "$extra"
	} >"$T/zp.conf"
}

zp_start()
{
	sys_spawn zonepushd "$ZONEPUSHD" -c "$T/zp.conf"
	sys_wait_for 10 "zonepushd answers on 127.0.0.1:$ZP_PORT" \
		curl -s -o /dev/null -u "$ZP_USER:$ZP_PASSWORD" "http://127.0.0.1:$ZP_PORT/CMD_API_LOGIN_TEST"
}

zp_stop()
{
	sys_kill zonepushd || fail "zonepushd was not running; see $T/zonepushd.log"
}

# zp_kill9: SIGKILL, no cleanup of any kind.
zp_kill9()
{
	local pid start
	read -r pid start <"$T/run/zonepushd.pid"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$T/run/zonepushd.pid"
}

# The DA client: HTTP/1.0, no User-Agent, no Content-Type, no Accept. Prints the body,
# then a line "HTTP <code>". DA_AUTH overrides the credentials.
_da_curl()
{
	curl -s --max-time 20 --http1.0 -A '' -H 'Content-Type:' -H 'Accept:' \
		-u "${DA_AUTH:-$ZP_USER:$ZP_PASSWORD}" -w '\nHTTP %{http_code}' "$@"
}

da_get()
{
	_da_curl "http://127.0.0.1:$ZP_PORT$1"
}

da_rawsave()
{
	local q="action=rawsave&domain=$1&hostname=${3:-da1.example.net}"
	[ -z "${4:-}" ] || q="$q&username=$4"
	[ -z "${DA_RELOAD:-}" ] || q="$q&named_reload=yes"
	_da_curl --data-binary "@$2" "http://127.0.0.1:$ZP_PORT/CMD_API_DNS_ADMIN?$q"
}

da_delete()
{
	_da_curl --data-binary "$1" "http://127.0.0.1:$ZP_PORT/CMD_API_DNS_ADMIN"
}

# zp_zone DOMAIN SERIAL [IP]: the layout of reference section 2 (blank lines, $TTL, a
# multi-line SOA, tabs, relative names, quoted TXT), for DOMAIN.
zp_zone()
{
	local d=$1 s=$2 ip=${3:-192.0.2.68} pad='                                                '
	printf '\n\n\n$TTL 3600\n'
	printf '@       IN      SOA     ns1.example.net.      hostmaster.%s. (\n' "$d"
	printf '%s%s\n%s3600\n%s3600\n%s1209600\n%s86400 )\n\n' "$pad" "$s" "$pad" "$pad" "$pad" "$pad"
	printf '%s.\t3600\tIN\tNS\tns1.example.net.\n%s.\t3600\tIN\tNS\tns2.example.net.\n\n' "$d" "$d"
	printf '%s.\t3600\tIN\tA\t%s\n' "$d" "$ip"
	printf 'ftp\t3600\tIN\tA\t%s\nmail\t3600\tIN\tA\t%s\nwww\t3600\tIN\tA\t%s\n\n' "$ip" "$ip" "$ip"
	printf '%s.\t3600\tIN\tMX\t10 mail\n\n\n' "$d"
	printf '_acme-challenge\t5\tIN\tTXT\t"Ok6JgufmkHGpWLQ421RPOIG645TRY23sZugeiGyWTZM"\n'
	printf '%s.\t3600\tIN\tTXT\t"v=spf1 +a +mx include:spf.example.net ~all"\n\n' "$d"
}

# zp_metric SAMPLE: the value of one sample of /metrics (name with its labels).
zp_metric()
{
	curl -s -u "$ZP_USER:$ZP_PASSWORD" "http://127.0.0.1:$ZP_PORT/metrics" |
		awk -v k="$1" '$1 == k { print $2 }'
}

# zp_start_nsd NAME: nsd on free DNS and control ports (nsd-control keys made by
# nsd-control-setup), the pattern "zonepushd" with zonefile $T/NAME/zones/%s.db.
# Sets NAME_DNS_PORT.
zp_start_nsd()
{
	local n=$1 dir=$T/$1 dns ctl i
	mkdir -p "$dir/zones"
	nsd-control-setup -d "$dir" >"$dir/setup.log" 2>&1 || fail "nsd-control-setup failed: $(cat "$dir/setup.log")"
	for i in 1 2 3; do
		dns=$(sys_free_port) && ctl=$(sys_free_port) || fail "no free port"
		printf '%s\n' "server:" "  ip-address: 127.0.0.1" "  port: $dns" \
			"  zonesdir: \"$dir\"" "  zonelistfile: \"$dir/zone.list\"" "  database: \"\"" \
			"  pidfile: \"$dir/nsd.pid\"" "  xfrdfile: \"$dir/xfrd.state\"" "  xfrdir: \"$dir\"" \
			"  username: \"\"" "  chroot: \"\"" "  verbosity: 1" \
			"remote-control:" "  control-enable: yes" "  control-interface: 127.0.0.1" \
			"  control-port: $ctl" "  server-key-file: \"$dir/nsd_server.key\"" \
			"  server-cert-file: \"$dir/nsd_server.pem\"" \
			"  control-key-file: \"$dir/nsd_control.key\"" \
			"  control-cert-file: \"$dir/nsd_control.pem\"" \
			"pattern:" "  name: \"zonepushd\"" "  zonefile: \"$dir/zones/%s.db\"" >"$dir/nsd.conf"
		sys_spawn "$n" nsd -d -c "$dir/nsd.conf"
		local k
		for ((k = 0; k < 50; k++)); do
			nsd-control -c "$dir/nsd.conf" status >/dev/null 2>&1 && break
			_sys_tracked_alive "$n" || break
			sleep 0.1
		done
		nsd-control -c "$dir/nsd.conf" status >/dev/null 2>&1 && break
		_sys_stop "$n" 2 || true
		[ "$i" -lt 3 ] || fail "nsd $n did not start; see $T/$n.log"
	done
	printf -v "${n}_DNS_PORT" %s "$dns"
	export "${n}_DNS_PORT"
	sys_log "nsd $n up: DNS 127.0.0.1#$dns, control 127.0.0.1#$ctl"
}

# zp_start_knot NAME: knotd on a free DNS port, its control socket $T/NAME/knot.sock, zones
# from the include file $T/NAME/zones.conf (empty at first). Sets NAME_DNS_PORT.
zp_start_knot()
{
	local n=$1 dir=$T/$1 dns i k
	mkdir -p "$dir/zones"
	: >"$dir/zones.conf"
	for i in 1 2 3; do
		dns=$(sys_free_port) || fail "no free port"
		printf '%s\n' "server:" "    listen: 127.0.0.1@$dns" "    rundir: \"$dir\"" \
			"control:" "    listen: \"$dir/knot.sock\"" "database:" "    storage: \"$dir\"" \
			"template:" "  - id: default" "    storage: \"$dir/zones\"" \
			"    zonefile-sync: -1" "    zonefile-load: whole" "    journal-content: none" \
			"include: \"$dir/zones.conf\"" >"$dir/knot.conf"
		# ZP_KNOT_EXTRA: more configuration (a key, an ACL, a zone of our own).
		[ -z "${ZP_KNOT_EXTRA:-}" ] || printf '%s\n' "$ZP_KNOT_EXTRA" >>"$dir/knot.conf"
		sys_spawn "$n" knotd -c "$dir/knot.conf"
		for ((k = 0; k < 50; k++)); do
			knotc -s "$dir/knot.sock" status >/dev/null 2>&1 && break
			_sys_tracked_alive "$n" || break
			sleep 0.1
		done
		knotc -s "$dir/knot.sock" status >/dev/null 2>&1 && break
		_sys_stop "$n" 2 || true
		[ "$i" -lt 3 ] || fail "knotd $n did not start; see $T/$n.log"
	done
	printf -v "${n}_DNS_PORT" %s "$dns"
	export "${n}_DNS_PORT"
	sys_log "knotd $n up: DNS 127.0.0.1#$dns"
}

# zp_start_mariadb NAME: a throwaway MariaDB server on the private socket $T/NAME/my.sock
# (no TCP), database coredns. zp_sql NAME SQL runs a query (tab-separated, no headers).
zp_start_mariadb()
{
	local n=$1 dir=$T/$1 k
	mkdir -p "$dir"
	if [ ! -d "$dir/data/mysql" ]; then
		mariadb-install-db --no-defaults --datadir="$dir/data" --user=root \
			--auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 ||
			fail "mariadb-install-db failed: $(tail -5 "$dir/install.log")"
	fi
	sys_spawn "$n" mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/my.sock" \
		--skip-networking --pid-file="$dir/my.pid" --user=root --innodb-buffer-pool-size=16M \
		--log-error="$dir/error.log"
	for ((k = 0; k < 300; k++)); do
		mariadb -S "$dir/my.sock" -e 'SELECT 1' >/dev/null 2>&1 && break
		_sys_tracked_alive "$n" || fail "mariadbd $n exited; see $dir/error.log"
		sleep 0.1
	done
	mariadb -S "$dir/my.sock" -e 'CREATE DATABASE IF NOT EXISTS coredns' ||
		fail "mariadbd $n does not answer on $dir/my.sock; see $dir/error.log"
	sys_log "mariadbd $n up on $dir/my.sock"
}

zp_sql()
{
	mariadb -S "$T/$1/my.sock" -N -B coredns -e "$2"
}
