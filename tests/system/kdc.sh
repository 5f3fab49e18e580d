# shellcheck shell=bash
# tests/system/kdc.sh: a throwaway MIT KDC and a GSS-TSIG named for the system tests,
# on top of lib.sh (recipe: /work/shared/reference/dns-update.md sections 4 and 8).
#
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/system/lib.sh"
#   . "$top_srcdir/tests/system/kdc.sh"
#   sys_require_kdc        # SKIP (77) without krb5kdc kdb5_util kadmin.local kinit nsupdate
#   sys_setup
#   sys_start_kdc          # realm EXAMPLE.TEST on 127.0.0.1:$KDC_PORT
#   sys_start_named_gss    # named accepting GSS-TSIG (and the HMAC key lease-key)
#   sys_kinit lease-dr@EXAMPLE.TEST "$KEYTAB_DR" "$T/dr.cc"
#   printf 'update add lease.example.test 30 A 192.0.2.20\nsend\n' | sys_nsupdate_gss "$T/dr.cc"
#
# Principals (all -randkey; keytabs mode 600):
#   DNS/ns1.example.test   $KEYTAB_DNS       named's acceptor key (nsupdate -g builds the
#                                            SPN from the SOA MNAME ns1.example.test)
#   lease-primary          $KEYTAB_PRIMARY   allowed by update-policy (A TXT at $RECORD)
#   lease-dr               $KEYTAB_DR        allowed by update-policy (A TXT at $RECORD)
#   intruder               $KEYTAB_INTRUDER  a valid principal that update-policy does not name
# sys_start_kdc leaves a ticket for lease-primary in $CCACHE_PRIMARY (FILE:$T/primary.cc).
#
# Everything Kerberos reads or writes is private to $T: KRB5_CONFIG, KRB5_KDC_PROFILE, the
# database ($T/krb5db), the replay caches (KRB5RCACHEDIR=$T/rcache, named's acceptor) and
# the default ccache (KRB5CCNAME=FILE:$T/krb5cc, so a test that forgets to name a ccache
# never touches the user's own tickets).

# sys_require_kdc: exits 77 (SKIP) unless the MIT KDC tools, kinit, nsupdate and named exist.
sys_require_kdc()
{
	sys_require krb5kdc kdb5_util kadmin.local kinit nsupdate named tsig-keygen dig
}

_sys_kdc_conf()
{
	cat >"$T/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$REALM = {
		kdc = 127.0.0.1:$KDC_PORT
	}
[domain_realm]
	.example.test = $REALM
	example.test = $REALM
EOF
	cat >"$T/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$KDC_PORT
	kdc_tcp_listen = 127.0.0.1:$KDC_PORT
[realms]
	$REALM = {
		database_name = $T/krb5db/principal
		key_stash_file = $T/krb5db/stash
		acl_file = $T/krb5db/kadm5.acl
	}
[logging]
	kdc = STDERR
	admin_server = FILE:$T/krb5-admin.log
	default = FILE:$T/krb5-admin.log
EOF
}

# _sys_kadmin QUERY: kadmin.local on our realm, output appended to $T/krb5-admin.log.
_sys_kadmin()
{
	timeout -k 2 20 kadmin.local -r "$REALM" -q "$1" >>"$T/krb5-admin.log" 2>&1 ||
		fail "sys_start_kdc: kadmin.local -q '$1' failed; see krb5-admin.log"
}

# sys_kinit PRINCIPAL KEYTAB CCACHE: kinit -k -t KEYTAB PRINCIPAL into CCACHE (a path, or
# TYPE:residual), bounded to ${SYS_KINIT_TIMEOUT:-10} s. Returns kinit's status (124 on
# timeout); kinit's messages go to stderr. Does not fail(), so a test can expect failure.
sys_kinit()
{
	local princ=${1:?sys_kinit PRINCIPAL KEYTAB CCACHE} kt=${2:?sys_kinit PRINCIPAL KEYTAB CCACHE}
	local cc=${3:?sys_kinit PRINCIPAL KEYTAB CCACHE} limit=${SYS_KINIT_TIMEOUT:-10} rc
	case $cc in
	[A-Za-z]*:*) ;;
	*) cc=FILE:$cc ;;
	esac
	KRB5CCNAME=$cc timeout -k 2 "$limit" kinit -k -t "$kt" "$princ" && rc=0 || rc=$?
	[ "$rc" -ne 124 ] || echo "sys_kinit: kinit $princ hung for $limit s" >&2
	return $rc
}

# sys_start_kdc: a fresh realm $REALM (EXAMPLE.TEST) in $T/krb5db with a random master
# password, krb5kdc -n on a free loopback port (UDP and TCP), started through sys_spawn as
# "kdc" (log $T/kdc.log; stopped by sys_stop_kdc or sys_cleanup). Waits up to 10 s until
# kinit for lease-primary works. Exports REALM SPN KDC_PORT KDC_PID KRB5_CONFIG
# KRB5_KDC_PROFILE KRB5RCACHEDIR KRB5CCNAME KEYTAB_DNS KEYTAB_PRIMARY KEYTAB_DR
# KEYTAB_INTRUDER CCACHE_PRIMARY.
sys_start_kdc()
{
	local pw p attempt end err=
	sys_require_kdc
	[ -n "$T" ] || fail "sys_start_kdc: call sys_setup first"
	[ ! -f "$T/run/kdc.pid" ] || fail "sys_start_kdc: the KDC is already running"
	REALM=EXAMPLE.TEST
	SPN=DNS/ns1.example.test@$REALM
	KRB5_CONFIG=$T/krb5.conf
	KRB5_KDC_PROFILE=$T/kdc.conf
	KRB5RCACHEDIR=$T/rcache
	KRB5CCNAME=FILE:$T/krb5cc
	KEYTAB_DNS=$T/dns.keytab
	KEYTAB_PRIMARY=$T/primary.keytab
	KEYTAB_DR=$T/dr.keytab
	KEYTAB_INTRUDER=$T/intruder.keytab
	CCACHE_PRIMARY=FILE:$T/primary.cc
	export REALM SPN KRB5_CONFIG KRB5_KDC_PROFILE KRB5RCACHEDIR KRB5CCNAME
	export KEYTAB_DNS KEYTAB_PRIMARY KEYTAB_DR KEYTAB_INTRUDER CCACHE_PRIMARY
	mkdir -p "$T/krb5db" "$KRB5RCACHEDIR" || fail "sys_start_kdc: cannot create $T/krb5db"
	chmod 700 "$T/krb5db" "$KRB5RCACHEDIR"
	: >"$T/krb5db/kadm5.acl"

	# Only the KDC uses the port; the database and the keytabs do not depend on it.
	KDC_PORT=$(sys_free_port) || fail "sys_start_kdc: no free port"
	export KDC_PORT
	_sys_kdc_conf
	pw=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
	[ ${#pw} -eq 48 ] || fail "sys_start_kdc: cannot read /dev/urandom"
	timeout -k 2 20 kdb5_util create -s -r "$REALM" -P "$pw" >>"$T/krb5-admin.log" 2>&1 ||
		fail "sys_start_kdc: kdb5_util create failed; see krb5-admin.log"
	for p in DNS/ns1.example.test lease-primary lease-dr intruder; do
		_sys_kadmin "addprinc -randkey $p@$REALM"
	done
	_sys_kadmin "ktadd -k $KEYTAB_DNS DNS/ns1.example.test@$REALM"
	_sys_kadmin "ktadd -k $KEYTAB_PRIMARY lease-primary@$REALM"
	_sys_kadmin "ktadd -k $KEYTAB_DR lease-dr@$REALM"
	_sys_kadmin "ktadd -k $KEYTAB_INTRUDER intruder@$REALM"
	chmod 600 "$KEYTAB_DNS" "$KEYTAB_PRIMARY" "$KEYTAB_DR" "$KEYTAB_INTRUDER"

	for attempt in 1 2 3; do
		if [ "$attempt" -gt 1 ]; then
			KDC_PORT=$(sys_free_port) || fail "sys_start_kdc: no free port"
			_sys_kdc_conf
		fi
		[ -s "$T/kdc.log" ] && mv "$T/kdc.log" "$T/kdc.log.old"
		sys_spawn kdc krb5kdc -n -r "$REALM" -P "$T/kdc.pidfile"
		KDC_PID=$SYS_PID
		export KDC_PID
		end=$((SECONDS + 10))
		while [ "$SECONDS" -le "$end" ]; do
			_sys_tracked_alive kdc || break
			# A closed UDP port fails at once (ICMP), so a short limit per try is enough.
			if SYS_KINIT_TIMEOUT=3 sys_kinit "lease-primary@$REALM" "$KEYTAB_PRIMARY" \
				"$CCACHE_PRIMARY" 2>"$T/kinit.err"; then
				sys_log "KDC up on 127.0.0.1:$KDC_PORT (pid $KDC_PID, realm $REALM)"
				return 0
			fi
			sleep 0.1
		done
		err=$(cat "$T/kinit.err" 2>/dev/null) || true
		_sys_stop kdc 5 || true
		grep -qi 'address already in use' "$T/kdc.log" || break
		[ "$attempt" = 3 ] || sys_log "KDC port $KDC_PORT taken, retrying"
	done
	fail "sys_start_kdc: the KDC on 127.0.0.1:$KDC_PORT did not answer within 10 s (last kinit: ${err:-?}); see kdc.log"
}

# sys_stop_kdc: stops the KDC (SIGTERM, SIGKILL after 5 s); fails when it was not running.
sys_stop_kdc()
{
	[ -n "$T" ] || fail "sys_stop_kdc: call sys_setup first"
	_sys_stop kdc 5 || fail "sys_stop_kdc: the KDC (pid ${KDC_PID:-?}) was not running; see kdc.log"
	sys_log "KDC stopped"
}

_sys_named_gss_conf()
{
	cat >"$T/named.conf" <<EOF
options {
	directory "$T";
	pid-file "$T/named.pid";
	session-keyfile "$T/session.key";
	listen-on port $NAMED_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	tkey-gssapi-keytab "$KEYTAB_DNS";
};
controls { };
include "$T/lease-key.conf";
include "$T/other-key.conf";
zone "example.test" {
	type primary;
	file "example.test.db";
	update-policy {
		grant lease-key name lease.example.test. A TXT;
		grant lease-primary@$REALM name lease.example.test. A TXT;
		grant lease-dr@$REALM name lease.example.test. A TXT;
	};
};
zone "other.test" {
	type primary;
	file "other.test.db";
	update-policy { grant lease-key name lease.other.test. A TXT; };
};
EOF
}

# sys_start_named_gss [ALG]: like sys_start_named [ALG] (same exports, zones and HMAC keys
# lease-key/other-key; sys_dig, sys_nsupdate, sys_zone_snapshot, sys_stop_named and
# sys_restart_named work on it), plus tkey-gssapi-keytab $KEYTAB_DNS and update-policy
# grants for lease-primary@$REALM and lease-dr@$REALM (name $RECORD, A TXT). Call
# sys_start_kdc first: named inherits KRB5_CONFIG and KRB5RCACHEDIR.
# It is sys_start_named with _sys_named_gss_conf writing named.conf.
sys_start_named_gss()
{
	if [ -z "${KRB5_CONFIG:-}" ] || [ ! -s "${KEYTAB_DNS:-}" ]; then
		fail "sys_start_named_gss: call sys_start_kdc first"
	fi
	SYS_NAMED_CONF=_sys_named_gss_conf sys_start_named "$@"
}

# sys_nsupdate_gss CCACHE: nsupdate -g with KRB5CCNAME=CCACHE (a path or TYPE:residual) on
# stdin, after "server" and "zone" lines for our named. Bounded to 15 s (status 124: hung).
sys_nsupdate_gss()
{
	local cc=${1:?sys_nsupdate_gss CCACHE} rc
	case $cc in
	[A-Za-z]*:*) ;;
	*) cc=FILE:$cc ;;
	esac
	{
		printf 'server 127.0.0.1 %s\nzone %s\n' "$NAMED_PORT" "$ZONE"
		cat
	} | KRB5CCNAME=$cc timeout -k 2 15 nsupdate -g && rc=0 || rc=$?
	[ "$rc" -ne 124 ] || echo "sys_nsupdate_gss: nsupdate -g hung for 15 s" >&2
	return $rc
}

# sys_write_adgss_config FILE [KEY=VALUE ...]: sys_write_config for DNS_PROVIDER=ad-gss,
# signing as lease-primary with $KEYTAB_PRIMARY, SPN DNS/ns1.example.test (DNS_SERVER is
# the address 127.0.0.1); later KEY=VALUE override, KEY= removes.
sys_write_adgss_config()
{
	local file=${1:?sys_write_adgss_config FILE [KEY=VALUE ...]}
	shift
	sys_write_config "$file" DNS_PROVIDER=ad-gss TSIG_KEYFILE= \
		GSS_SERVICE=DNS/ns1.example.test GSS_KEYTAB="$KEYTAB_PRIMARY" \
		GSS_PRINCIPAL="lease-primary@$REALM" "$@"
}

# sys_start_gss_lab: what the ad-gss tests start from: the KDC tools, named and
# $DNSFAILOVER present (else SKIP), sys_setup, sys_start_kdc, sys_start_named_gss hmac-sha256.
sys_start_gss_lab()
{
	sys_require_kdc
	sys_require "$DNSFAILOVER"
	sys_setup
	sys_start_kdc
	sys_start_named_gss hmac-sha256
}
