#!/usr/bin/python3
"""Reads the manifests of etc/k8s for tests/system/test_k8s_manifests.sh.

  k8s_manifests.py check DAEMON.yaml WATCHER.yaml KEYS VERSION VERBS
      every check of the fields the program relies on; one "ok: ..." line per
      check passed, one "FAIL: ..." line per check failed (exit 1). KEYS is
      the program's key list (tests/system/config_keys: NAME<TAB>DEFAULT),
      VERSION the image tag expected, VERBS the verbs the watcher calls on
      deployments/scale ("get,patch").
  k8s_manifests.py env FILE CONFIGMAP       the ConfigMap's data as KEY=VALUE lines
  k8s_manifests.py secret FILE SECRET KEY   one value of a Secret (stringData or data)
  k8s_manifests.py facts FILE ROOT          shell assignments (see facts()); paths in the
                                            pod are mapped under ROOT/<volume name>
  k8s_manifests.py rules FILE               the RBAC of the watcher's pod for fake_k8s
  k8s_manifests.py mutate IN NAME OUT       a broken copy of IN (see MUTATIONS)

PyYAML's safe_load reads 0400 as an octal int, as the API server's YAML does.
"""
import base64
import copy
import shlex
import sys

import yaml

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def dump(docs, path):
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


def objects(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind, name=None):
    found = [d for d in objects(docs, kind) if name is None or d["metadata"]["name"] == name]
    if len(found) != 1:
        raise LookupError(f"expected one {kind}{' ' + name if name else ''}, found {len(found)}")
    return found[0]


def ns_of(obj):
    return obj.get("metadata", {}).get("namespace", "default")


def configmap_data(docs, name):
    return {k: str(v) for k, v in (one(docs, "ConfigMap", name).get("data") or {}).items()}


def secret_value(docs, name, key):
    s = one(docs, "Secret", name)
    if key in (s.get("stringData") or {}):
        return s["stringData"][key]
    return base64.b64decode(s["data"][key]).decode()


def pod_spec(dep):
    return dep["spec"]["template"]["spec"]


def main_container(dep):
    return pod_spec(dep)["containers"][0]


def container_env(docs, c):
    """The environment envFrom and env give container c, with its origin."""
    env = {}
    for src in c.get("envFrom") or []:
        if "configMapRef" in src:
            for k, v in configmap_data(docs, src["configMapRef"]["name"]).items():
                env[k] = (v, "ConfigMap " + src["configMapRef"]["name"])
        else:
            env["(envFrom " + ",".join(src) + ")"] = ("", "envFrom")
    for e in c.get("env") or []:
        env[e["name"]] = (str(e.get("value", "")), "env")
    return env


def effective(pod, c, field):
    """A securityContext field of container c, else the pod's."""
    v = (c.get("securityContext") or {}).get(field)
    return v if v is not None else (pod.get("securityContext") or {}).get(field)


def port_of(c, port):
    if isinstance(port, int):
        return port
    for p in c.get("ports") or []:
        if p.get("name") == port:
            return p["containerPort"]
    return None


def listen_port(value):
    host, _, port = value.rpartition(":")
    return host, int(port) if port.isdigit() else None


def mount_for(c, path):
    """(mount, rest) of the volumeMount of c holding path, the longest one."""
    best = None
    for m in c.get("volumeMounts") or []:
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best[0]["mountPath"].rstrip("/")):
                best = (m, path[len(mp) :].lstrip("/"))
    return best


def volume(pod, name):
    for v in pod.get("volumes") or []:
        if v["name"] == name:
            return v
    return None


def kubelet_secret_file(pod, vol, rest):
    """(uid, gid, mode) the kubelet gives file rest of secret volume vol: owned by
    root, the item's mode or defaultMode (0644), and with fsGroup, group fsGroup
    and the group read bits added (read-only volume: mode | 0440)."""
    sec = vol["secret"]
    mode = sec.get("defaultMode", 0o644)
    for item in sec.get("items") or []:
        if item["path"] == rest:
            mode = item.get("mode", mode)
    fs_group = (pod.get("securityContext") or {}).get("fsGroup")
    if fs_group is not None:
        return 0, fs_group, mode | 0o440
    return 0, 0, mode


class Checker:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, why=""):
        if ok:
            print(f"ok: {what}")
        else:
            self.failed += 1
            print(f"FAIL: {what}{': ' + why if why else ''}")
        return ok


def known_key(keys, k):
    return k in keys or (k.endswith("_FILE") and k[: -len("_FILE")] in keys)


def check_workload(ck, docs, dep, keys, version, args):
    name = dep["metadata"]["name"]
    pod = pod_spec(dep)
    ck.check(dep["spec"].get("replicas") == 1, f"Deployment {name}: replicas 1",
             f"replicas is {dep['spec'].get('replicas')}")
    strategy = (dep["spec"].get("strategy") or {}).get("type", "RollingUpdate")
    ck.check(strategy == "Recreate", f"Deployment {name}: strategy Recreate (never two pods at once)",
             f"strategy is {strategy}, which starts the new pod before the old one stops")
    labels = dep["spec"]["template"]["metadata"].get("labels") or {}
    sel = dep["spec"]["selector"].get("matchLabels") or {}
    ck.check(sel and all(labels.get(k) == v for k, v in sel.items()),
             f"Deployment {name}: the selector matches the pod's labels")
    ck.check(effective(pod, {}, "seccompProfile") == {"type": "RuntimeDefault"} or all(
        (c.get("securityContext") or {}).get("seccompProfile") == {"type": "RuntimeDefault"}
        for c in pod["containers"]), f"Deployment {name}: seccomp RuntimeDefault")
    for c in pod.get("initContainers", []) + pod["containers"]:
        cn = f"Deployment {name}, container {c['name']}"
        ck.check(effective(pod, c, "runAsNonRoot") is True, f"{cn}: runAsNonRoot",
                 "runAsNonRoot is not true")
        uid = effective(pod, c, "runAsUser")
        ck.check(uid is not None and uid != 0, f"{cn}: runAsUser is set and not 0",
                 f"runAsUser is {uid}")
        sc = c.get("securityContext") or {}
        ck.check(sc.get("readOnlyRootFilesystem") is True, f"{cn}: readOnlyRootFilesystem")
        ck.check(sc.get("allowPrivilegeEscalation") is False, f"{cn}: allowPrivilegeEscalation false")
        ck.check("ALL" in ((sc.get("capabilities") or {}).get("drop") or []),
                 f"{cn}: capabilities drop ALL")
        res = c.get("resources") or {}
        ck.check("memory" in (res.get("limits") or {}) and bool(res.get("requests")),
                 f"{cn}: resource requests and a memory limit")
        ck.check(c.get("image") == f"dnsfailover:{version}", f"{cn}: image dnsfailover:{version}",
                 f"image is {c.get('image')}")
    c = main_container(dep)
    ck.check("command" not in c and c.get("args") == args,
             f"Deployment {name}: runs the image's dnsfailover with {args}",
             f"command {c.get('command')}, args {c.get('args')}")
    env = container_env(docs, c)
    unknown = sorted(k for k in env if not known_key(keys, k))
    ck.check(not unknown, f"Deployment {name}: every setting is a key of the program",
             "unknown: " + ", ".join(f"{k} ({env[k][1]})" for k in unknown))
    return pod, c, env


def check_daemon(ck, docs, keys, version):
    dep = one(docs, "Deployment")
    name, ns = dep["metadata"]["name"], ns_of(dep)
    for kind in ("Namespace",):
        for n in objects(docs, kind):
            ck.check(n["metadata"]["name"] == ns, f"Namespace {n['metadata']['name']} is the Deployment's")
    for d in docs:
        if d["kind"] != "Namespace":
            ck.check(ns_of(d) == ns, f"{d['kind']} {d['metadata']['name']} is in namespace {ns}",
                     f"it is in {ns_of(d)}")
    pod, c, env = check_workload(ck, docs, dep, keys, version, ["run"])
    for k in ("ROLE", "DNS_PROVIDER", "DNS_ZONE", "DNS_RECORD", "PRIMARY_IP", "DR_IP"):
        ck.check(k in env, f"Deployment {name}: {k} is set", "missing")

    # /healthz at METRICS_LISTEN's port, on an address the kubelet reaches.
    listen = env.get("METRICS_LISTEN", ("", ""))[0]
    host, port = listen_port(listen) if listen else ("", None)
    ck.check(port is not None, f"Deployment {name}: METRICS_LISTEN {listen!r} has a port")
    ck.check(host in ("", "0.0.0.0", "[::]"),
             f"Deployment {name}: METRICS_LISTEN listens on the pod's addresses",
             f"host {host!r}: the kubelet probes the pod's address, not the loopback")
    for probe in ("livenessProbe", "readinessProbe"):
        p = c.get(probe)
        if not ck.check(p is not None and "httpGet" in p, f"Deployment {name}: {probe} is an httpGet"):
            continue
        g = p["httpGet"]
        pp = port_of(c, g.get("port"))
        ck.check(g.get("path") == "/healthz", f"Deployment {name}: {probe} path /healthz",
                 f"path is {g.get('path')}")
        ck.check(pp == port, f"Deployment {name}: {probe} port {pp} is METRICS_LISTEN's",
                 f"METRICS_LISTEN port is {port}")
        ck.check(g.get("scheme", "HTTP") == "HTTP", f"Deployment {name}: {probe} over HTTP")

    # Step-down: the grace period covers a watcher's stop.
    grace = pod.get("terminationGracePeriodSeconds", 30)
    cmd_timeout = int(env.get("WATCH_CMD_TIMEOUT", (keys.get("WATCH_CMD_TIMEOUT") or "30",))[0])
    ck.check(grace >= cmd_timeout + 10,
             f"Deployment {name}: terminationGracePeriodSeconds {grace} >= WATCH_CMD_TIMEOUT "
             f"{cmd_timeout} + 10", "a SIGKILL could cut the collector's stop short")

    # The key file: owned by the daemon's user, mode 0600 or 0400, as the
    # kubelet and the init container below make it.
    keyfile = env.get("TSIG_KEYFILE", ("", ""))[0]
    if not ck.check(keyfile != "", f"Deployment {name}: TSIG_KEYFILE is set"):
        return
    mnt = mount_for(c, keyfile)
    if not ck.check(mnt is not None, f"Deployment {name}: TSIG_KEYFILE {keyfile} is in a volume it mounts"):
        return
    vol = volume(pod, mnt[0]["name"])
    uid = effective(pod, c, "runAsUser")
    if "secret" in vol:
        fuid, _, mode = kubelet_secret_file(pod, vol, mnt[1])
        why = (f"the kubelet makes {keyfile} owned by uid {fuid} mode {mode:04o}; "
               f"the daemon (uid {uid}) needs its own or root's file with no group or other access")
        # The rule accepts root's file too, but uid (not root) cannot read a
        # root file without group or other access: only its own file works.
        ck.check(fuid == uid and mode & 0o077 == 0,
                 f"Deployment {name}: TSIG_KEYFILE {keyfile} satisfies the secret-file rule", why)
        return
    ck.check("emptyDir" in vol and (vol["emptyDir"] or {}).get("medium") == "Memory",
             f"Deployment {name}: TSIG_KEYFILE is on a memory-backed emptyDir")
    ck.check(mnt[0].get("readOnly") is True, f"Deployment {name}: the daemon mounts the key read-only")
    writers = []
    for ic in pod.get("initContainers") or []:
        m = mount_for(ic, keyfile)
        if m is not None and m[0]["name"] == vol["name"]:
            writers.append(ic)
    if not ck.check(len(writers) == 1, f"Deployment {name}: one init container writes {keyfile}"):
        return
    ic = writers[0]
    cmd = ic.get("command") or []
    ok = (len(cmd) == 5 and cmd[0].endswith("/install") and cmd[1] == "-m" and cmd[4] == keyfile)
    if not ck.check(ok, f"Deployment {name}: init container {ic['name']} runs install -m MODE SRC {keyfile}",
                    f"command {cmd}"):
        return
    mode = int(cmd[2], 8)
    ck.check(mode & 0o077 == 0 and mode & 0o400,
             f"Deployment {name}: the copy's mode {mode:04o} gives no access to group or others")
    ck.check(effective(pod, ic, "runAsUser") == uid,
             f"Deployment {name}: init container {ic['name']} runs as the daemon's uid {uid}",
             "the copy would be owned by another user")
    src = mount_for(ic, cmd[3])
    svol = volume(pod, src[0]["name"]) if src else None
    if not ck.check(svol is not None and "secret" in svol,
                    f"Deployment {name}: the copy's source {cmd[3]} is a Secret volume"):
        return
    fuid, fgid, fmode = kubelet_secret_file(pod, svol, src[1])
    groups = [effective(pod, ic, "runAsGroup"), (pod.get("securityContext") or {}).get("fsGroup")]
    groups += (pod.get("securityContext") or {}).get("supplementalGroups") or []
    readable = (fuid == uid and fmode & 0o400) or (fgid in groups and fmode & 0o040) or fmode & 0o004
    ck.check(bool(readable),
             f"Deployment {name}: uid {uid} can read the Secret's file "
             f"(uid {fuid}, gid {fgid}, mode {fmode:04o})")
    sec = svol["secret"]
    item_key = next((i["key"] for i in sec.get("items") or [] if i["path"] == src[1]), src[1])
    try:
        secret_value(docs, sec["secretName"], item_key)
        ck.check(True, f"Deployment {name}: Secret {sec['secretName']} holds {item_key}")
    except (LookupError, KeyError):
        ck.check(False, f"Deployment {name}: Secret {sec['secretName']} holds {item_key}", "it does not")


def check_watcher(ck, docs, daemon_docs, keys, version, verbs):
    dep = one(docs, "Deployment")
    name, ns = dep["metadata"]["name"], ns_of(dep)
    pod, c, env = check_workload(ck, docs, dep, keys, version, ["watch"])
    val = {k: v[0] for k, v in env.items()}
    mode = val.get("WATCH_MODE", "")
    inferred = mode == "" and val.get("OTEL_DEPLOYMENT") and not val.get("OTEL_CONTAINER")
    ck.check(mode == "kubernetes" or inferred,
             f"Deployment {name}: the kubernetes backend (WATCH_MODE, or inferred from OTEL_DEPLOYMENT)",
             f"WATCH_MODE={mode!r}")
    for k in ("DNS_RECORD", "MY_IP", "OTEL_NAMESPACE", "OTEL_DEPLOYMENT"):
        ck.check(val.get(k, "") != "", f"Deployment {name}: {k} is set", "missing")
    act = int(val.get("OTEL_REPLICAS_ACTIVE", keys.get("OTEL_REPLICAS_ACTIVE") or 1))
    inact = int(val.get("OTEL_REPLICAS_INACTIVE", keys.get("OTEL_REPLICAS_INACTIVE") or 0))
    ck.check(act >= 1 and inact < act, f"Deployment {name}: OTEL_REPLICAS_INACTIVE {inact} < ACTIVE {act}")
    for k in ("K8S_API_URL", "K8S_TOKEN_FILE", "K8S_CA_FILE"):
        default = {"K8S_TOKEN_FILE": SA_DIR + "/token", "K8S_CA_FILE": SA_DIR + "/ca.crt"}.get(k, "")
        ck.check(val.get(k, default) == default,
                 f"Deployment {name}: {k} is the in-cluster default", f"set to {val.get(k)}")
    # The service account and its token.
    sa_name = pod.get("serviceAccountName", "default")
    sa = [s for s in objects(docs, "ServiceAccount") if s["metadata"]["name"] == sa_name and ns_of(s) == ns]
    ck.check(len(sa) == 1, f"Deployment {name}: its ServiceAccount {ns}/{sa_name} is in the file")
    automount = pod.get("automountServiceAccountToken")
    if automount is None and sa:
        automount = sa[0].get("automountServiceAccountToken")
    ck.check(automount is not False, f"Deployment {name}: the service account token is mounted "
             f"at {SA_DIR}", "automountServiceAccountToken is false")
    ck.check(not objects(docs, "ClusterRole") and not objects(docs, "ClusterRoleBinding"),
             "no ClusterRole or ClusterRoleBinding: the rights stay in one namespace")
    # The Role: exactly what the watcher calls, on the one Deployment.
    want_ns, want_deploy = val.get("OTEL_NAMESPACE"), val.get("OTEL_DEPLOYMENT")
    bindings = [b for b in objects(docs, "RoleBinding")
                if any(s.get("kind") == "ServiceAccount" and s.get("name") == sa_name
                       and s.get("namespace", ns_of(b)) == ns for s in b.get("subjects") or [])]
    if not ck.check(len(bindings) == 1, f"one RoleBinding binds ServiceAccount {ns}/{sa_name}"):
        return
    b = bindings[0]
    ref = b["roleRef"]
    ck.check(ref.get("kind") == "Role" and ref.get("apiGroup") == "rbac.authorization.k8s.io",
             f"RoleBinding {b['metadata']['name']} refers to a Role", f"roleRef {ref}")
    ck.check(ns_of(b) == want_ns, f"RoleBinding {b['metadata']['name']} is in OTEL_NAMESPACE {want_ns}",
             f"it is in {ns_of(b)}")
    roles = [r for r in objects(docs, "Role")
             if r["metadata"]["name"] == ref.get("name") and ns_of(r) == ns_of(b)]
    if not ck.check(len(roles) == 1, f"the Role {ns_of(b)}/{ref.get('name')} of the binding is in the file"):
        return
    role = roles[0]
    rn = role["metadata"]["name"]
    ck.check(ns_of(role) == want_ns == ns_of(b),
             f"Role {rn}, its RoleBinding and OTEL_NAMESPACE are one namespace",
             f"Role in {ns_of(role)}, binding in {ns_of(b)}, OTEL_NAMESPACE {want_ns}")
    rules = role.get("rules") or []
    want_verbs = sorted(verbs.split(","))
    shape = [(sorted(r.get("apiGroups") or []), sorted(r.get("resources") or []),
              sorted(r.get("resourceNames") or []), sorted(r.get("verbs") or [])) for r in rules]
    want = [(["apps"], ["deployments/scale"], [want_deploy], want_verbs)]
    ck.check(shape == want,
             f"Role {rn} allows exactly {'/'.join(want_verbs)} on deployments/scale (apps) of "
             f"OTEL_DEPLOYMENT {want_deploy}",
             f"its rules are {shape}")
    # The daemon of the same site: the watcher watches its lease.
    try:
        ddep = main_container(one(daemon_docs, "Deployment"))
        dcm = configmap_data(daemon_docs, ddep["envFrom"][0]["configMapRef"]["name"])
    except (LookupError, KeyError, IndexError):
        dcm = {}
    site_ip = dcm.get("DR_IP") if dcm.get("ROLE") == "dr" else dcm.get("PRIMARY_IP")
    ck.check(val.get("MY_IP") == site_ip,
             f"the watcher's MY_IP is the daemon's {dcm.get('ROLE')} address {site_ip}",
             f"MY_IP is {val.get('MY_IP')}")
    for k in ("DNS_RECORD", "DNS_SERVER"):
        ck.check(val.get(k) == dcm.get(k), f"the watcher's {k} is the daemon's",
                 f"{val.get(k)} against {dcm.get(k)}")


def cmd_check(daemon, watcher, keys_file, version, verbs):
    keys = {}
    with open(keys_file, encoding="utf-8") as f:
        for line in f:
            k, _, d = line.rstrip("\n").partition("\t")
            keys[k] = d
    ck = Checker()
    ddocs, wdocs = load(daemon), load(watcher)
    for what, fn in (("daemon", lambda: check_daemon(ck, ddocs, keys, version)),
                     ("watcher", lambda: check_watcher(ck, wdocs, ddocs, keys, version, verbs))):
        try:
            fn()
        except (LookupError, KeyError, TypeError, ValueError) as e:
            ck.check(False, f"the {what}'s manifest has the expected shape", f"{type(e).__name__}: {e}")
    print(f"{ck.failed} failed")
    return 1 if ck.failed else 0


def cmd_env(path, name):
    for k, v in configmap_data(load(path), name).items():
        if any(ch in v for ch in " \t#'\"\\\n") or v == "":
            if "'" in v or "\n" in v:
                raise SystemExit(f"{k}: a value that an env file cannot hold: {v!r}")
            v = f"'{v}'"
        print(f"{k}={v}")
    return 0


def facts(path, root):
    """Shell assignments for the test: the pod's users, the probe, the grace
    period, and the key file's way from the Secret to the daemon with pod
    paths mapped under ROOT/<volume>."""
    docs = load(path)
    dep = one(docs, "Deployment")
    pod, c = pod_spec(dep), main_container(dep)
    psc = pod.get("securityContext") or {}
    out = {
        "POD_NAMESPACE": ns_of(dep),
        "POD_DEPLOYMENT": dep["metadata"]["name"],
        "POD_UID": effective(pod, c, "runAsUser"),
        "POD_GID": effective(pod, c, "runAsGroup") or effective(pod, c, "runAsUser"),
        "POD_FSGROUP": psc.get("fsGroup", ""),
        "POD_GRACE": pod.get("terminationGracePeriodSeconds", 30),
        "POD_SA": pod.get("serviceAccountName", "default"),
        "POD_CONFIGMAP": c["envFrom"][0]["configMapRef"]["name"],
    }
    if c.get("livenessProbe"):
        g = c["livenessProbe"]["httpGet"]
        out["PROBE_PORT"] = port_of(c, g["port"])
        out["PROBE_PATH"] = g["path"]

    def mapped(container, p):
        m = mount_for(container, p)
        return f"{root}/{m[0]['name']}/{m[1]}" if m else p

    env = container_env(docs, c)
    keyfile = env.get("TSIG_KEYFILE", ("", ""))[0]
    if keyfile:
        out["KEYFILE_POD"] = keyfile
        out["KEYFILE_MAPPED"] = mapped(c, keyfile)
        for ic in pod.get("initContainers") or []:
            m = mount_for(ic, keyfile)
            if m is None:
                continue
            cmd = ic["command"]
            out["INIT_CMD"] = " ".join(
                shlex.quote(mapped(ic, a) if a.startswith("/") and mount_for(ic, a) else a)
                for a in cmd)
            out["INIT_UID"] = effective(pod, ic, "runAsUser")
            out["INIT_GID"] = effective(pod, ic, "runAsGroup") or out["INIT_UID"]
            src = mount_for(ic, cmd[3])
            if src is not None:
                svol = volume(pod, src[0]["name"])
                if svol is not None and "secret" in svol:
                    fuid, fgid, fmode = kubelet_secret_file(pod, svol, src[1])
                    out["SECRET_FILE"] = mapped(ic, cmd[3])
                    out["SECRET_FILE_UID"], out["SECRET_FILE_GID"] = fuid, fgid
                    out["SECRET_FILE_MODE"] = f"{fmode:04o}"
                    out["SECRET_NAME"] = svol["secret"]["secretName"]
                    items = svol["secret"].get("items") or []
                    out["SECRET_KEY"] = next((i["key"] for i in items if i["path"] == src[1]), src[1])
            out["EMPTYDIR"] = f"{root}/{m[0]['name']}"
        m = mount_for(c, keyfile)
        if m is not None and "secret" in (volume(pod, m[0]["name"]) or {}):
            fuid, fgid, fmode = kubelet_secret_file(pod, volume(pod, m[0]["name"]), m[1])
            out["DIRECT_SECRET_UID"], out["DIRECT_SECRET_GID"] = fuid, fgid
            out["DIRECT_SECRET_MODE"] = f"{fmode:04o}"
    for k, v in out.items():
        print(f"{k}={shlex.quote(str(v))}")
    return 0


def cmd_rules(path):
    """The user the watcher's pod authenticates as, and what the Roles bound to
    it allow, one 'allow NS GROUP RESOURCE NAME|* VERB' line per combination;
    the subjects of ClusterRoleBindings are not looked at (the check refuses them)."""
    docs = load(path)
    dep = one(docs, "Deployment")
    sa, ns = pod_spec(dep).get("serviceAccountName", "default"), ns_of(dep)
    print(f"# user system:serviceaccount:{ns}:{sa}")
    for b in objects(docs, "RoleBinding"):
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa
                   and s.get("namespace", ns_of(b)) == ns for s in b.get("subjects") or []):
            continue
        ref = b["roleRef"]
        for r in objects(docs, "Role"):
            if ref.get("kind") != "Role" or r["metadata"]["name"] != ref["name"] or ns_of(r) != ns_of(b):
                continue
            for rule in r.get("rules") or []:
                for g in rule.get("apiGroups") or []:
                    for res in rule.get("resources") or []:
                        for name in rule.get("resourceNames") or ["*"]:
                            for verb in rule.get("verbs") or []:
                                print(f"allow {ns_of(r)} {g or '-'} {res} {name} {verb}")
    return 0


def edit(docs, kind, path, value, how="set"):
    """Sets (or appends to, or removes) the field at path ("a.b.0.c") of the one
    object of kind (a Deployment path starts at its pod spec: "pod.")."""
    node = one(docs, kind)
    keys = path.split(".")
    if keys[0] == "pod":
        node, keys = pod_spec(node), keys[1:]
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node[k]
    last = int(keys[-1]) if keys[-1].isdigit() else keys[-1]
    if how == "append":
        node[last].append(value)
    elif how == "remove":
        del node[last]
    else:
        node[last] = value


def _key_in_secret_volume(docs):
    mount = {"name": "tsig-secret", "mountPath": "/etc/dnsfailover/secret", "readOnly": True}
    edit(docs, "Deployment", "pod.containers.0.volumeMounts", mount, "append")
    edit(docs, "ConfigMap", "data.TSIG_KEYFILE", "/etc/dnsfailover/secret/tsig.key")


def _no_nonroot(docs):
    edit(docs, "Deployment", "pod.securityContext.runAsNonRoot", None, "remove")
    edit(docs, "Deployment", "pod.containers.0.securityContext.runAsNonRoot", None, "remove")


ROLE_EXACT = "FAIL: Role otel-watcher allows exactly"
DAEMON = "FAIL: Deployment dnsfailover"
WATCHER = "FAIL: Deployment otel-watcher"
MAIN = "FAIL: Deployment dnsfailover, container dnsfailover"
# name: (the change: a function, or the arguments of edit()), the text the check must
# print. Names starting role-, binding- or watcher- are of the watcher's manifest.
MUTATIONS = {
    "role-extra-verb": (("Role", "rules.0.verbs", "update", "append"), ROLE_EXACT),
    "role-whole-deployments": (("Role", "rules.0.resources", ["deployments"]), ROLE_EXACT),
    "role-any-deployment": (("Role", "rules.0.resourceNames", None, "remove"), ROLE_EXACT),
    "role-no-patch": (("Role", "rules.0.verbs", ["get"]), ROLE_EXACT),
    "role-other-namespace": (("Role", "metadata.namespace", "default"),
                             "FAIL: the Role monitoring/otel-watcher of the binding is in the file"),
    "binding-other-account": (("RoleBinding", "subjects.0.name", "default"),
                              "FAIL: one RoleBinding binds ServiceAccount"),
    "watcher-other-deployment": (("ConfigMap", "data.OTEL_DEPLOYMENT", "otel-gateway"), ROLE_EXACT),
    "watcher-no-token": (("Deployment", "pod.automountServiceAccountToken", False),
                         f"{WATCHER}: the service account token is mounted"),
    "watcher-token-elsewhere": (("ConfigMap", "data.K8S_TOKEN_FILE", "/token"),
                                f"{WATCHER}: K8S_TOKEN_FILE is the in-cluster default"),
    "watcher-other-ip": (("ConfigMap", "data.MY_IP", "192.0.2.10"), "FAIL: the watcher's MY_IP"),
    "probe-wrong-port": (("Deployment", "pod.containers.0.livenessProbe.httpGet.port", 9106),
                         f"{DAEMON}: livenessProbe port 9106"),
    "probe-wrong-path": (("Deployment", "pod.containers.0.readinessProbe.httpGet.path", "/health"),
                         f"{DAEMON}: readinessProbe path /healthz"),
    "metrics-loopback": (("ConfigMap", "data.METRICS_LISTEN", "127.0.0.1:9105"),
                         f"{DAEMON}: METRICS_LISTEN listens on the pod's addresses"),
    "rolling-update": (("Deployment", "spec.strategy", {"type": "RollingUpdate"}),
                       f"{DAEMON}: strategy Recreate"),
    "two-replicas": (("Deployment", "spec.replicas", 2), f"{DAEMON}: replicas 1"),
    "run-as-root": (("Deployment", "pod.securityContext.runAsUser", 0),
                    f"{MAIN}: runAsUser is set and not 0"),
    "no-nonroot": (_no_nonroot, f"{MAIN}: runAsNonRoot"),
    "writable-root": (("Deployment", "pod.containers.0.securityContext.readOnlyRootFilesystem", False),
                      f"{MAIN}: readOnlyRootFilesystem"),
    "unknown-key": (("ConfigMap", "data.DNS_ZONES", "example.com"),
                    f"{DAEMON}: every setting is a key of the program: "
                    "unknown: DNS_ZONES (ConfigMap dnsfailover)"),
    "copy-mode-0640": (("Deployment", "pod.initContainers.0.command.2", "0640"),
                       f"{DAEMON}: the copy's mode 0640"),
    "copy-other-user": (("Deployment", "pod.initContainers.0.securityContext.runAsUser", 10002),
                        f"{DAEMON}: init container tsig-key runs as the daemon's uid"),
    "key-in-secret-volume": (_key_in_secret_volume,
                             f"{DAEMON}: TSIG_KEYFILE /etc/dnsfailover/secret/tsig.key satisfies "
                             "the secret-file rule"),
    "short-grace": (("Deployment", "pod.terminationGracePeriodSeconds", 10),
                    f"{DAEMON}: terminationGracePeriodSeconds 10"),
}


def cmd_mutate(src, name, out):
    docs = copy.deepcopy(load(src))
    change = MUTATIONS[name][0]
    if callable(change):
        change(docs)
    else:
        edit(docs, *change)
    dump(docs, out)
    print(MUTATIONS[name][1])
    return 0


def main(argv):
    cmds = {"check": (cmd_check, 5), "env": (cmd_env, 2), "secret": (None, 3), "facts": (facts, 2),
            "rules": (cmd_rules, 1), "mutate": (cmd_mutate, 3), "mutations": (None, 0)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "secret":
        sys.stdout.write(secret_value(load(argv[2]), argv[3], argv[4]))
        return 0
    if argv[1] == "mutations":
        print("\n".join(MUTATIONS))
        return 0
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
