#!/usr/bin/env bash
# etc/k8s/dnsfailover.yaml and etc/k8s/otel-watcher.yaml against the program.
#
# 1. Parsed with Debian's python3-yaml (tests/system/k8s_manifests.py) and checked:
#    every setting is a key of the program (tests/system/config_keys), the probes are
#    /healthz at METRICS_LISTEN's port, Recreate and one replica, non-root and locked
#    down, the key file's way from the Secret to the daemon, the Role is exactly get
#    and patch on deployments/scale of OTEL_DEPLOYMENT in OTEL_NAMESPACE, bound to the
#    watcher's ServiceAccount; every broken copy of k8s_manifests.py's list is refused.
# 2. As root, the pod as the kubelet makes it: the Secret's file root-owned with
#    group fsGroup and mode defaultMode|0440, the init container's command run as the
#    pod's uid with fsGroup, then `dnsfailover validate` and `run` (on a read-only root
#    file system, in a private mount namespace) as that uid with
#    the ConfigMap's settings (only the addresses of the test named and collector put
#    in) against the test named; /healthz at the probe's path; the step-down on
#    SIGTERM timed against terminationGracePeriodSeconds. The Secret's file read
#    directly, and the placeholder key, are refused.
# 3. As root, `dnsfailover watch` with the watcher's ConfigMap, in a mount namespace
#    where the service account's token and ca.crt are at the path the kubelet uses,
#    against tests/system/fake_k8s (HTTPS, the bearer token, RBAC from the manifest's
#    Role and RoleBinding) through lease moves in named: the collector's Deployment
#    is scaled 1 -> 0 -> 1 -> 0, the verbs used are exactly the Role's, a rotated token
#    is read afresh, and a Role without patch is answered 403 and named in the log.
set -eu
. "$top_srcdir/tests/system/lib.sh"
. "$top_srcdir/tests/system/collector.sh"

# Debian's python3 and python3-yaml, whatever python3 comes first on PATH.
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import yaml' 2>/dev/null; then
	echo "SKIP: /usr/bin/python3 with python3-yaml is needed (scripts/install-deps installs it)"
	exit 77
fi
sys_require named dig tsig-keygen openssl curl jq
sys_setup
CHK=$top_srcdir/tests/system/k8s_manifests.py
DM=$top_srcdir/etc/k8s/dnsfailover.yaml
WM=$top_srcdir/etc/k8s/otel-watcher.yaml
KEYS=$top_builddir/tests/system/config_keys
FAKE_K8S=$top_builddir/tests/system/fake_k8s
sys_require "$KEYS" "$FAKE_K8S"
"$KEYS" >"$T/keys"
VERSION=$("$DNSFAILOVER" --version | awk '{print $2}')
[ -n "$VERSION" ] || fail "no version from dnsfailover --version"
# What the kubernetes backend calls (src/watch/watch_k8s.c: GET and a merge
# PATCH of .../deployments/NAME/scale); part 3 checks the stand-in saw exactly these.
VERBS=get,patch

check()
{
	"$PY" "$CHK" check "$1" "$2" "$T/keys" "$VERSION" "$VERBS"
}

sys_log "the shipped manifests pass every check"
assert_exit 0 "k8s_manifests.py check" -- "$PY" "$CHK" check "$DM" "$WM" "$T/keys" "$VERSION" "$VERBS"
assert_contains "$OUT" "0 failed" "the summary"
passed=$(grep -c '^ok: ' <<<"$OUT")
[ "$passed" -ge 80 ] || fail "only $passed checks ran:
$OUT"
sys_log "$passed checks passed"

sys_log "every broken copy is refused, naming what is wrong"
n=0
for m in $("$PY" "$CHK" mutations); do
	d=$DM w=$WM
	case $m in
	role-* | binding-* | watcher-*)
		want=$("$PY" "$CHK" mutate "$WM" "$m" "$T/broken.yaml")
		w=$T/broken.yaml
		;;
	*)
		want=$("$PY" "$CHK" mutate "$DM" "$m" "$T/broken.yaml")
		d=$T/broken.yaml
		;;
	esac
	assert_exit 1 "the copy $m is refused" -- "$PY" "$CHK" check "$d" "$w" "$T/keys" "$VERSION" "$VERBS"
	assert_contains "$OUT" "$want" "the refusal of $m"
	n=$((n + 1))
done
[ "$n" -ge 20 ] || fail "only $n broken copies were tried"
sys_log "$n broken copies refused"

sys_log "make install puts the manifests under \$(docdir)/examples/k8s"
# shellcheck disable=SC2016 # $(docdir) is make's
docdir=$(printf 'df-docdir:\n\t@echo "$(docdir)"\n' |
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$top_builddir" -f Makefile -f - df-docdir) ||
	fail "cannot read docdir from $top_builddir/Makefile"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$top_builddir" \
	install-dist_k8sexamplesDATA DESTDIR="$T/root" >"$T/install.log" 2>&1 ||
	fail "make install-dist_k8sexamplesDATA failed: $(cat "$T/install.log")"
for f in dnsfailover.yaml otel-watcher.yaml; do
	cmp -s "$T/root$docdir/examples/k8s/$f" "$top_srcdir/etc/k8s/$f" ||
		fail "$f is not installed as $docdir/examples/k8s/$f"
done

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the static checks passed; the pod's file ownership (chown to the pod's uid" \
		"and fsGroup), setpriv and the watcher's mount namespace need root"
	exit 77
fi
sys_require setpriv unshare

# set_keys FILE KEY=VALUE...: replaces KEY's line in FILE (or appends it).
set_keys()
{
	local file=$1 kv
	shift
	for kv in "$@"; do
		grep -v "^${kv%%=*}=" "$file" >"$file.tmp" || true
		printf '%s\n' "$kv" >>"$file.tmp"
		mv "$file.tmp" "$file"
	done
}

# in_pod SADIR CMD...: execs CMD in a private mount namespace where the file system is
# as a container of these manifests sees it: the root read-only (readOnlyRootFilesystem;
# /dev and /proc stay), and with SADIR (not -) the service account's files at the path
# the kubelet mounts them (a tmpfs over /run; /var/run is /run). For sys_spawn.
in_pod()
{
	# shellcheck disable=SC2016 # the inner script expands its own arguments
	exec unshare -m --propagation private bash -c '
		set -e
		sa=$1
		shift
		if [ "$sa" != - ]; then
			mount -t tmpfs -o mode=755 k8s-run /run
			mkdir -p /run/secrets/kubernetes.io/serviceaccount
			mount --bind "$sa" /run/secrets/kubernetes.io/serviceaccount
		fi
		mount --rbind / /
		mount -o remount,ro,bind /
		exec "$@"' in_pod "$@"
}

# key_of FILE KEY: KEY's value in the env file FILE.
key_of()
{
	sed -n "s/^$2=//p" "$1"
}

# ---------------------------------------------------------------------------
sys_log "part 2: the daemon's pod as the kubelet makes it"
sys_start_named hmac-sha256
sys_start_collector primary
chmod 711 "$T"
mkdir -m 711 "$T/pod"
eval "$("$PY" "$CHK" facts "$DM" "$T/pod")"
for v in POD_UID POD_GID POD_FSGROUP SECRET_FILE SECRET_FILE_UID SECRET_FILE_GID \
	SECRET_FILE_MODE EMPTYDIR INIT_CMD INIT_UID KEYFILE_MAPPED PROBE_PORT PROBE_PATH; do
	[ -n "${!v:-}" ] || fail "the daemon's manifest gave no $v"
done
as_pod=(setpriv "--reuid=$POD_UID" "--regid=$POD_GID" "--groups=$POD_FSGROUP" --)

# The Secret's volume: the operator's key file (kubectl create secret generic
# --from-file=tsig.key=...), root-owned, group fsGroup, defaultMode with the
# group read bits the kubelet adds. The emptyDir: 0777, setgid, group fsGroup.
mkdir -p "$(dirname "$SECRET_FILE")" "$EMPTYDIR"
cp "$KEYFILE" "$SECRET_FILE"
chown "$SECRET_FILE_UID:$SECRET_FILE_GID" "$SECRET_FILE" "$(dirname "$SECRET_FILE")"
chmod "$SECRET_FILE_MODE" "$SECRET_FILE"
chmod 2755 "$(dirname "$SECRET_FILE")"
chown "0:$POD_FSGROUP" "$EMPTYDIR"
chmod 2777 "$EMPTYDIR"
assert_eq "$SECRET_FILE_MODE" 0440 "the kubelet's mode of the Secret's file (defaultMode 0400 | 0440 with fsGroup)"
assert_exit 0 "the init container's copy, as uid $INIT_UID" -- \
	setpriv "--reuid=$INIT_UID" "--regid=$INIT_GID" "--groups=$POD_FSGROUP" -- bash -c "exec $INIT_CMD"
assert_eq "$(stat -c '%u %a' "$KEYFILE_MAPPED")" "$POD_UID 600" "owner and mode of the copied key file"

# The ConfigMap's settings; only where the test's named and collector are is changed.
"$PY" "$CHK" env "$DM" "$POD_CONFIGMAP" >"$T/pod.env"
shipped=$(cut -d= -f1 "$T/pod.env" | sort)
metrics=$(key_of "$T/pod.env" METRICS_LISTEN)
mport=$(sys_free_port)
set_keys "$T/pod.env" DNS_SERVER=127.0.0.1 "DNS_PORT=$NAMED_PORT" "DNS_ZONE=$ZONE" \
	"DNS_RECORD=$RECORD" "HEALTH_URL=$COLLECTOR_URL" "TSIG_KEYFILE=$KEYFILE_MAPPED" \
	"METRICS_LISTEN=${metrics%:*}:$mport" UPDATE_INTERVAL=1 LEASE_TTL=5 DNS_TIMEOUT=1
added=$(cut -d= -f1 "$T/pod.env" | sort | comm -13 <(echo "$shipped") - | tr '\n' ' ')
assert_eq "$added" "DNS_PORT DNS_TIMEOUT " "keys the test adds to the ConfigMap's"
chown "$POD_UID:$POD_GID" "$T/pod.env"
chmod 600 "$T/pod.env"

assert_exit 0 "validate as the pod's uid $POD_UID" -- "${as_pod[@]}" "$DNSFAILOVER" -c "$T/pod.env" validate
assert_contains "$OUT" "configuration OK" "validate's verdict"
assert_contains "$OUT" "DNS_PROVIDER=bind-tsig" "the provider"
# The pod gets the settings as its environment (envFrom), not as a file.
mapfile -t podenv <"$T/pod.env"
assert_exit 0 "validate with the settings in the environment" -- \
	"${as_pod[@]}" env -i PATH=/usr/bin:/bin "${podenv[@]}" "$DNSFAILOVER" validate
assert_contains "$OUT" "configuration OK" "validate's verdict (environment)"

sys_log "what the manifest avoids is refused by the program"
assert_exit 1 "the Secret's own file (mode $SECRET_FILE_MODE, group $POD_FSGROUP)" -- \
	"${as_pod[@]}" env "TSIG_KEYFILE=$SECRET_FILE" "$DNSFAILOVER" -c "$T/pod.env" validate
assert_contains "$OUT" "key file $SECRET_FILE is readable by group (mode 0440" "names the mode"
cp -p "$SECRET_FILE" "$T/pod/nofsgroup.key"
chown 0:0 "$T/pod/nofsgroup.key"
chmod 0400 "$T/pod/nofsgroup.key"
assert_exit 1 "the Secret's file without fsGroup (root, 0400)" -- \
	"${as_pod[@]}" env "TSIG_KEYFILE=$T/pod/nofsgroup.key" "$DNSFAILOVER" -c "$T/pod.env" validate
assert_contains "$OUT" "cannot open key file $T/pod/nofsgroup.key (permission denied)" "names the file"
"$PY" "$CHK" secret "$DM" "$SECRET_NAME" "$SECRET_KEY" >"$T/pod/placeholder.key"
chown "$POD_UID" "$T/pod/placeholder.key"
chmod 600 "$T/pod/placeholder.key"
assert_exit 1 "the Secret's placeholder key" -- \
	"${as_pod[@]}" env "TSIG_KEYFILE=$T/pod/placeholder.key" "$DNSFAILOVER" -c "$T/pod.env" validate
assert_contains "$OUT" "placeholder.key:3: key \"failover-key.\": secret is not valid base64" "the refusal names the key file and why"
assert_not_contains "$OUT" "configuration OK" "the placeholder is not accepted"

sys_log "the daemon as the pod runs it: /healthz at the probe's path, a step-down on SIGTERM"
if (in_pod - touch "$T/ro-probe") 2>/dev/null || [ -e "$T/ro-probe" ]; then
	fail "in_pod: the root file system is writable"
fi
sys_spawn daemon in_pod - "${as_pod[@]}" "$DNSFAILOVER" -c "$T/pod.env" run
sys_wait_for 10 "the daemon's listener" grep -q "Serving /metrics and /healthz" "$T/daemon.log"
assert_eq "$(sys_http_get "$mport" "$PROBE_PATH")" "ok" "GET $PROBE_PATH"
bound=$(ss -Htln "sport = :$mport" | awk '{print $4}')
case $bound in
0.0.0.0:* | "*:"* | "[::]:"*) ;;
*) fail "METRICS_LISTEN=${metrics%:*}:PORT is bound to '$bound', not every address" ;;
esac
# As `kubectl exec` runs it: the pod's user (the key file is that user's, not root's).
assert_exit 0 "promote the DR site" -- "${as_pod[@]}" "$DNSFAILOVER" -c "$T/pod.env" promote
sys_wait_for 10 "the daemon to be ACTIVE" grep -q "Site is now ACTIVE" "$T/daemon.log"
t0=$(date +%s%N)
sys_kill daemon "$POD_GRACE" || fail "the daemon had exited"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$SYS_EXIT_STATUS" 0 "the daemon's exit status after SIGTERM"
grep -q "Site is now STANDBY: stepping down (shutting down)" "$T/daemon.log" ||
	fail "no step-down in the daemon's log"
[ "$ms" -lt $((POD_GRACE * 1000)) ] || fail "the step-down took ${ms} ms, over the grace period"
sys_log "step-down on SIGTERM: ${ms} ms (terminationGracePeriodSeconds $POD_GRACE)"

# ---------------------------------------------------------------------------
sys_log "part 3: the watcher against the Kubernetes API stand-in"
eval "$("$PY" "$CHK" facts "$WM" "$T/wpod" | sed 's/^/W_/')"
"$PY" "$CHK" env "$WM" "$W_POD_CONFIGMAP" >"$T/watch.env"
OTEL_NS=$(key_of "$T/watch.env" OTEL_NAMESPACE)
OTEL_DEP=$(key_of "$T/watch.env" OTEL_DEPLOYMENT)
ACTIVE=$(key_of "$T/watch.env" OTEL_REPLICAS_ACTIVE)
INACTIVE=$(key_of "$T/watch.env" OTEL_REPLICAS_INACTIVE)
MY=$(key_of "$T/watch.env" MY_IP)
set_keys "$T/watch.env" DNS_SERVER=127.0.0.1 "DNS_PORT=$NAMED_PORT" "DNS_RECORD=$RECORD" \
	OTEL_CHECK_INTERVAL=1 DNS_TIMEOUT=1
chown "$W_POD_UID" "$T/watch.env"
chmod 600 "$T/watch.env"
# The sites of the daemon's ConfigMap; MY_IP is the DR's (part 1 checked it).
PRIMARY=$(key_of "$T/pod.env" PRIMARY_IP)
DRIP=$(key_of "$T/pod.env" DR_IP)
assert_eq "$MY" "$DRIP" "the watcher's MY_IP"
for site in primary dr; do
	sys_write_config "$T/$site.env" "ROLE=$site" "PRIMARY_IP=$PRIMARY" "DR_IP=$DRIP" \
		UPDATE_INTERVAL=1 LEASE_TTL=5 DNS_TIMEOUT=1
done

sys_make_test_ca
"$PY" "$CHK" rules "$WM" >"$T/rules"
user=$(sed -n 's/^# user //p' "$T/rules")
assert_eq "$user" "system:serviceaccount:$W_POD_NAMESPACE:$W_POD_SA" "the identity of the watcher's token"
# The service account's files as the kubelet mounts them; the API server knows
# the token ($T/api-token).
mkdir -m 755 "$T/sa"
head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$T/sa/token"
cp "$T/sa/token" "$T/api-token"
cp "$T/ca.pem" "$T/sa/ca.crt"
printf '%s' "$W_POD_NAMESPACE" >"$T/sa/namespace"
chown "$W_POD_UID" "$T/sa/token"
chmod 600 "$T/sa/token"
chmod 644 "$T/sa/ca.crt" "$T/sa/namespace"
chmod 755 "$T/wpod" 2>/dev/null || true

# start_api RULES REPLICAS: the stand-in with RULES, the collector's Deployment at REPLICAS.
start_api()
{
	KPORT=$(sys_free_port)
	rm -f "$T/k8s.pid"
	sys_spawn k8s "$FAKE_K8S" -p "$KPORT" -k "$T/srv.key" -C "$T/srv.pem" -t "$T/api-token" \
		-u "$user" -r "$1" -d "$OTEL_NS/$OTEL_DEP=$2" -P "$T/k8s.pid"
	sys_wait_for 10 "fake_k8s listening" test -s "$T/k8s.pid"
}

replicas()
{
	curl -sf --cacert "$T/ca.pem" "https://127.0.0.1:$KPORT/__fake/stats" |
		jq -r --arg d "$OTEL_NS/$OTEL_DEP" '.deployments[$d]'
}

# wait_replicas N SECS
wait_replicas()
{
	local start=$SECONDS
	until [ "$(replicas)" = "$1" ]; do
		[ $((SECONDS - start)) -le "$2" ] || fail "the Deployment is not at $1 replicas within $2 s (it is at $(replicas))"
		sleep 0.2
	done
}

# start_watcher NAME: `dnsfailover watch` as the pod runs it: the pod's uid, the API
# server in KUBERNETES_SERVICE_HOST/PORT, the token and ca.crt at the kubelet's path,
# the root file system read-only (in_pod).
start_watcher()
{
	sys_spawn "$1" in_pod "$T/sa" \
		env -i PATH=/usr/bin:/bin KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$KPORT" \
		setpriv "--reuid=$W_POD_UID" "--regid=$W_POD_GID" --clear-groups -- \
		"$DNSFAILOVER" -c "$T/watch.env" watch
}

[ -d /var/run/secrets/kubernetes.io ] && sys_log "note: this host has its own /var/run/secrets/kubernetes.io; the watcher sees the test's"
start_api "$T/rules" "$ACTIVE"
# Part 2 left the DR's lease; the primary takes it back.
assert_exit 0 "init --force: the primary holds the lease" -- "$DNSFAILOVER" -c "$T/primary.env" init --force
start_watcher watch
sys_log "A is the primary's: the collector is scaled to $INACTIVE"
wait_replicas "$INACTIVE" 10
sys_wait_for 5 "the watcher's stop" grep -q "Watcher: collector stopped" "$T/watch.log"

sys_log "promote: A is MY_IP, scaled to $ACTIVE"
assert_exit 0 "promote" -- "$DNSFAILOVER" -c "$T/dr.env" promote
wait_replicas "$ACTIVE" 10

sys_log "the token is rotated: the old one is refused, the new one read at the next call"
head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$T/api-token"
sys_wait_for 10 "the refused token in the watcher's log" grep -q "refused the token in /var/run/secrets/kubernetes.io/serviceaccount/token" "$T/watch.log"
cp "$T/api-token" "$T/sa/token"
assert_not_contains "$(cat "$T/watch.log")" "$(cat "$T/api-token")" "no token in the log"

sys_log "failback: A is the primary's again, scaled to $INACTIVE"
assert_exit 0 "failback" -- "$DNSFAILOVER" -c "$T/primary.env" failback
wait_replicas "$INACTIVE" 10
sys_kill watch

denied=$(grep -c '^authz deny' "$T/k8s.log" || true)
assert_eq "$denied" 0 "requests the Role refused"
used=$(awk '$1 == "authz" && $2 == "allow" {print $4 "/" $6}' "$T/k8s.log" | sort -u | tr '\n' ' ')
allowed=$(awk '$1 == "allow" {print $6 "/" $4}' "$T/rules" | sort -u | tr '\n' ' ')
assert_eq "$used" "$allowed" "what the watcher used (verb/resource) against what the Role allows"
assert_eq "$used" "get/deployments/scale patch/deployments/scale " "the calls of the watcher"
grep -q "authn deny" "$T/k8s.log" || fail "the stand-in saw no request with the revoked token"
sys_log "the watcher used exactly: $used"
sys_kill k8s

sys_log "a Role without patch: 403, and the log says what to bind"
"$PY" "$CHK" mutate "$WM" role-no-patch "$T/nopatch.yaml" >/dev/null
"$PY" "$CHK" rules "$T/nopatch.yaml" >"$T/rules-nopatch"
start_api "$T/rules-nopatch" "$ACTIVE"
# Without WATCH_MODE, as the seed's watcher settings have it: inferred from OTEL_DEPLOYMENT.
grep -v '^WATCH_MODE=' "$T/watch.env" >"$T/watch.env.tmp"
mv "$T/watch.env.tmp" "$T/watch.env"
chown "$W_POD_UID" "$T/watch.env"
chmod 600 "$T/watch.env"
start_watcher watch2
sys_wait_for 10 "the watcher's start" grep -q "Watcher starting" "$T/watch2.log"
assert_contains "$(cat "$T/watch2.log")" "kubernetes backend" "the backend inferred from OTEL_DEPLOYMENT"
sys_wait_for 10 "the 403 in the watcher's log" grep -q "is forbidden (HTTP 403" "$T/watch2.log"
log=$(cat "$T/watch2.log")
assert_contains "$log" "patch scale of deployment $OTEL_NS/$OTEL_DEP is forbidden (HTTP 403: deployments.apps \"$OTEL_DEP\" is forbidden: User \"$user\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"$OTEL_NS\")" "the Status message in the log"
assert_contains "$log" "allowing get and patch on deployments/scale in API group apps in namespace $OTEL_NS" "what to bind"
assert_eq "$(replicas)" "$ACTIVE" "the Deployment was not scaled"
grep -q "^authz deny $user patch apps deployments/scale" "$T/k8s.log" || fail "the stand-in did not refuse the patch"
sys_kill watch2
sys_kill k8s
