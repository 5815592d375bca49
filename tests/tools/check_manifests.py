#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""check_manifests.py - the checks of tests/integ/test_manifests.sh over deploy/ and conf-examples/.

    python3 tests/tools/check_manifests.py ROOT CONFIG_CHECK

Prints one "ok - ..." or "not ok - ...: why" line per check (the shell counts them). Checks:
every YAML file parses; apiVersion/kind pairs Kubernetes serves for our objects; metadata.name;
workloads (selector = template labels, containers with name and image, service accounts,
volumes, headless Services of Indexed Jobs); the DaemonSet (hostPath mounts, installer paths,
readiness probe, tolerations, unprivileged) and the reconciler, its metrics port, Service and
example ServiceMonitor, and every metric name the docs use; RBAC against what README lists
and nothing more; CRDs structural and holding the fields rdmanet-ipam writes; every
NetworkAttachmentDefinition's spec.config through rdmanet's and rdmanet-ipam's parsers
(CONFIG_CHECK, as Multus would pass it), disjoint ranges, the 8-rail networks at the default
routing; pods naming existing networks with an RDMA resource and IPC_LOCK; the verification Job,
the NCCL example and the 8-rail pod's NCCL derivation; the Dockerfile against the
manifests and the build (the files and Debian packages it needs, no rdmanet-lib/, no runtime
package added); the operator guide's troubleshooting table against every error code and doctor
finding in the source; paths named in the docs exist.
"""
import glob
import ipaddress
import json
import os
import re
import subprocess
import sys

import yaml

ROOT, CONFIG_CHECK = sys.argv[1], sys.argv[2]
os.chdir(ROOT)
RESULTS = []


def ok(name):
    RESULTS.append(True)
    print(f"ok - {name}")


def nok(name, why=""):
    RESULTS.append(False)
    why = " ".join(str(why).split())[:600]
    print(f"not ok - {name}{': ' + why if why else ''}")


def check(name, cond, why=""):
    (ok if cond else nok)(name, *(() if cond else (why,)))


# Kinds Kubernetes (and the CRDs we rely on) serve, by apiVersion; namespaced or not.
KNOWN = {
    ("v1", "Namespace"): False, ("v1", "ServiceAccount"): True, ("v1", "ConfigMap"): True,
    ("v1", "Pod"): True, ("v1", "Service"): True, ("v1", "Secret"): True,
    ("apps/v1", "DaemonSet"): True, ("apps/v1", "Deployment"): True,
    ("apps/v1", "StatefulSet"): True, ("batch/v1", "Job"): True,
    ("rbac.authorization.k8s.io/v1", "Role"): True,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): True,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): False,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): False,
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): False,
    ("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition"): True,
    # the Prometheus operator's, in deploy/monitoring-example.yaml only
    ("monitoring.coreos.com/v1", "ServiceMonitor"): True,
    ("monitoring.coreos.com/v1", "PrometheusRule"): True,
}
KUSTOMIZATION = ("kustomize.config.k8s.io/v1beta1", "Kustomization")
WORKLOADS = {"DaemonSet", "Deployment", "StatefulSet", "Job"}
NS = "kube-system"
KUBECONFIG = "/etc/cni/net.d/rdmanet.d/rdmanet-ipam.kubeconfig"
IPAM_VERBS = {"get", "list", "create", "update", "patch", "delete"}
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")

# ------------------------------------------------------------------ parse every file
files = sorted(glob.glob("deploy/**/*.y*ml", recursive=True) +
               glob.glob("conf-examples/**/*.y*ml", recursive=True))
check("YAML files found under deploy/ and conf-examples/", len(files) >= 10, files)
objs = []  # (file, doc)
for f in files:
    try:
        with open(f) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
    except yaml.YAMLError as e:
        nok(f"{f}: parses as YAML", e)
        continue
    bad = [d for d in docs if not isinstance(d, dict)]
    check(f"{f}: parses as YAML ({len(docs)} objects)", docs and not bad, "empty or not mappings")
    objs += [(f, d) for d in docs if isinstance(d, dict)]


def where(f, d):
    return f"{f}: {d.get('kind')}/{(d.get('metadata') or {}).get('name')}"


api = [(f, d) for f, d in objs if (d.get("apiVersion"), d.get("kind")) != KUSTOMIZATION]
for f, d in objs:
    pair = (d.get("apiVersion"), d.get("kind"))
    if pair == KUSTOMIZATION:
        continue
    w = where(f, d)
    check(f"{w}: {pair[0]} {pair[1]} is a kind Kubernetes serves", pair in KNOWN, pair)
    md = d.get("metadata") or {}
    name = md.get("name")
    check(f"{w}: metadata.name is a valid name", isinstance(name, str) and NAME_RE.match(name)
          and len(name) <= 253, name)
    if pair in KNOWN:
        namespaced = KNOWN[pair]
        if not namespaced:
            check(f"{w}: cluster-scoped, no namespace", "namespace" not in md, md.get("namespace"))
        elif f.startswith("deploy/"):
            check(f"{w}: in {NS}", md.get("namespace") == NS, md.get("namespace"))


def by_kind(kind, prefix=None):
    return [(f, d) for f, d in api if d.get("kind") == kind and (not prefix or f.startswith(prefix))]


def ns_of(d):
    return (d.get("metadata") or {}).get("namespace", "default")


def name_of(d):
    return (d.get("metadata") or {}).get("name")


# ------------------------------------------------------------------ workloads
def pod_spec(d):
    if d.get("kind") == "Pod":
        return d.get("spec") or {}, d.get("metadata") or {}
    t = (d.get("spec") or {}).get("template") or {}
    return t.get("spec") or {}, t.get("metadata") or {}


service_accounts = {(ns_of(d), name_of(d)) for f, d in by_kind("ServiceAccount")}
for f, d in api:
    if d.get("kind") not in WORKLOADS | {"Pod"}:
        continue
    w = where(f, d)
    spec, tmeta = pod_spec(d)
    ctrs = spec.get("containers") or []
    check(f"{w}: has containers, each with a name and an image",
          ctrs and all(c.get("name") and c.get("image") for c in ctrs), ctrs)
    names = [c.get("name") for c in ctrs + (spec.get("initContainers") or [])]
    check(f"{w}: container names are unique", len(names) == len(set(names)), names)
    if d.get("kind") in {"DaemonSet", "Deployment", "StatefulSet"}:
        sel = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        labels = tmeta.get("labels") or {}
        check(f"{w}: selector matches the template's labels",
              sel and all(labels.get(k) == v for k, v in sel.items()), f"{sel} vs {labels}")
    sa = spec.get("serviceAccountName")
    if sa or f.startswith("deploy/"):
        check(f"{w}: serviceAccountName '{sa}' is a ServiceAccount defined here",
              (ns_of(d), sa) in service_accounts, sorted(service_accounts))
    vols = {v.get("name") for v in spec.get("volumes") or []}
    mounts = [m.get("name") for c in ctrs for m in c.get("volumeMounts") or []]
    check(f"{w}: every volumeMount names a volume", all(m in vols for m in mounts),
          f"{mounts} vs {vols}")
    if spec.get("subdomain"):
        svc = [s for _, s in by_kind("Service") if name_of(s) == spec["subdomain"]
               and ns_of(s) == ns_of(d)]
        ok_svc = svc and (svc[0].get("spec") or {}).get("clusterIP") == "None" and all(
            (tmeta.get("labels") or {}).get(k) == v
            for k, v in ((svc[0].get("spec") or {}).get("selector") or {}).items())
        check(f"{w}: subdomain '{spec['subdomain']}' is a headless Service selecting its pods",
              ok_svc, svc)
    if d.get("kind") == "Job":
        check(f"{w}: restartPolicy Never or OnFailure",
              spec.get("restartPolicy") in ("Never", "OnFailure"), spec.get("restartPolicy"))
    if f.startswith("deploy/"):
        for c in ctrs:
            res = c.get("resources") or {}
            sc = c.get("securityContext") or {}
            check(f"{w}: container {c.get('name')} has requests and a memory limit",
                  (res.get("requests") or {}).get("memory") and (res.get("limits") or {}).get("memory"),
                  res)
            check(f"{w}: container {c.get('name')} is unprivileged (no privileged, no "
                  "escalation, all capabilities dropped, none added)",
                  not sc.get("privileged") and sc.get("allowPrivilegeEscalation") is False
                  and (sc.get("capabilities") or {}).get("drop") == ["ALL"]
                  and not (sc.get("capabilities") or {}).get("add"), sc)
            check(f"{w}: container {c.get('name')} has a read-only root file system",
                  sc.get("readOnlyRootFilesystem") is True, sc)

# ------------------------------------------------------------------ the DaemonSet
ds = [d for f, d in by_kind("DaemonSet", "deploy/")]
check("deploy/: one DaemonSet", len(ds) == 1, len(ds))
installer_env = {}
if ds:
    d = ds[0]
    spec, _ = pod_spec(d)
    c = (spec.get("containers") or [{}])[0]
    env = {e["name"]: e.get("value") for e in c.get("env") or []}
    installer_env = env
    vols = {v["name"]: v for v in spec.get("volumes") or []}
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []}

    def host_path(mount_path):
        v = vols.get(mounts.get(mount_path), {})
        return (v.get("hostPath") or {}).get("path")

    check("DaemonSet: the node's /opt/cni/bin is mounted at RDMANET_HOST_BIN_DIR",
          host_path(env.get("RDMANET_HOST_BIN_DIR")) == "/opt/cni/bin", (env, mounts))
    conf_dir = env.get("RDMANET_HOST_CONF_DIR", "")
    check("DaemonSet: RDMANET_HOST_CONF_DIR is under the node's /etc/cni/net.d, mounted",
          host_path(os.path.dirname(conf_dir)) == "/etc/cni/net.d", (conf_dir, mounts))
    node_kubeconfig = "/etc/cni/net.d/" + os.path.basename(conf_dir) + "/rdmanet-ipam.kubeconfig"
    check("DaemonSet: the kubeconfig lands where the NADs look for it",
          node_kubeconfig == KUBECONFIG, node_kubeconfig)
    check("DaemonSet: hostPath volumes are DirectoryOrCreate",
          all((v.get("hostPath") or {}).get("type") == "DirectoryOrCreate"
              for v in vols.values() if "hostPath" in v), vols)
    probe = ((c.get("readinessProbe") or {}).get("exec") or {}).get("command") or []
    ready = env.get("RDMANET_READY_FILE", "/tmp/ready")
    check("DaemonSet: the exec readinessProbe tests the installer's readiness file",
          probe[:2] == ["test", "-f"] and probe[2:] == [ready], (probe, ready))
    check("DaemonSet: the readiness file is on a writable volume",
          any(ready.startswith(p.rstrip("/") + "/") for p in mounts), (ready, mounts))
    tol = spec.get("tolerations") or []
    check("DaemonSet: tolerates nvidia.com/gpu:NoSchedule",
          any(t.get("key") == "nvidia.com/gpu" and t.get("effect") == "NoSchedule" and
              t.get("operator") == "Exists" for t in tol), tol)
    check("DaemonSet: no hostNetwork, hostPID or hostIPC",
          not (spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC")), spec)
    ru = (d["spec"].get("updateStrategy") or {})
    check("DaemonSet: rolling update", ru.get("type") == "RollingUpdate", ru)
    check("DaemonSet: readiness probe and node selector set",
          bool(c.get("readinessProbe")) and bool(spec.get("nodeSelector")), spec.get("nodeSelector"))
    # the installer knows these variables
    with open("deploy/installer.sh") as fh:
        inst = fh.read()
    unknown = [k for k in env if k not in inst]
    check("DaemonSet: every env variable is one deploy/installer.sh reads", not unknown, unknown)
    with open("deploy/Dockerfile") as fh:
        dockerfile = fh.read()
    m = re.search(r"^COPY deploy/installer\.sh (\S+)", dockerfile, re.M)
    ep = re.search(r'^ENTRYPOINT \["([^"]+)"\]', dockerfile, re.M)
    check("Dockerfile: copies deploy/installer.sh and makes it the ENTRYPOINT",
          m and ep and m.group(1) == ep.group(1), (m and m.group(1), ep and ep.group(1)))
    check("DaemonSet: command is the image's installer",
          ep and (c.get("command") or [ep.group(1)])[0] == ep.group(1), c.get("command"))
    check("DaemonSet: RDMANET_SRC_DIR is where the Dockerfile puts the installed tree",
          re.search(r"COPY --from=build /out" + re.escape(env.get("RDMANET_SRC_DIR", "/opt/cni/bin"))
                    + r"/ ", dockerfile) is not None, env.get("RDMANET_SRC_DIR"))
    check("Dockerfile: builds on Debian 12 with make and make install DESTDIR=/out",
          re.search(r"^FROM debian:12 AS build", dockerfile, re.M) and "make install DESTDIR=/out"
          in dockerfile and re.search(r"^FROM debian:12-slim\s*$", dockerfile, re.M), "")
    copies = re.findall(r"^COPY (?!--from)(\S+) ", dockerfile, re.M)
    check("Dockerfile: every file it copies exists", copies and all(os.path.exists(c) for c in copies),
          [c for c in copies if not os.path.exists(c)])
    with open("Makefile") as fh:
        mk = fh.read()
    # what the image's `make all` and `make install` run or read from the tree: the install
    # recipe and the rule that builds the third-party libraries (prerequisites and recipe)
    rules = [re.search(r"^" + t + r":(.*)\n((?:\t.*\n)*)", mk, re.M)
             for t in (r"install", r"\$\(DEPS_STAMP\)")]
    used = set()
    for r in rules:
        text = r.group(1) + r.group(2) if r else ""
        used |= set(re.findall(r"\b((?:scripts|third_party)/[\w.-]+)", text))
    copied = lambda u: any(u == c or u.startswith(c.rstrip("/") + "/") for c in copies)
    check("Dockerfile: copies what `make all` and `make install` use from the tree "
          + str(sorted(used)), all(rules) and used and all(copied(u) for u in used),
          (sorted(used), copies))
    with open("scripts/deps.sh") as fh:
        deps = fh.read()
    m = re.search(r'^PKGS="([^"]*)"', deps, re.M)
    deps_pkgs = set(m.group(1).split()) if m else set()
    # the build stage's packages (continuation lines joined)
    stage = re.search(r"^FROM debian:12 AS build\n(.*?)(?=^FROM |\Z)", dockerfile, re.M | re.S)
    stage = re.sub(r"\\\n", " ", stage.group(1)) if stage else ""
    build_pkgs = set()
    for m in re.finditer(r"apt-get install((?: +[^ &\n]+)*)", stage):
        build_pkgs |= {w for w in m.group(1).split() if not w.startswith("-")}
    check("Dockerfile: the build stage installs only packages scripts/deps.sh installs",
          build_pkgs and build_pkgs <= deps_pkgs, sorted(build_pkgs - deps_pkgs))
    # ... and what the build needs: the tools scripts/third-party.sh checks for, make and
    # pkg-config, the libraries and pkg-config modules the Makefile links, the libibverbs headers.
    # A name missing from these maps fails the check until it is added here.
    tool_pkg = {"curl": "curl", "cmake": "cmake", "dpkg-source": "dpkg-dev", "cc": "gcc",
                "ar": "gcc", "make": "make"}
    lib_pkg = {"nl-3": "libnl-3-dev", "ssl": "libssl-dev", "crypto": "libssl-dev",
               "z": "zlib1g-dev", "pthread": "libc6-dev"}
    pc_pkg = {"libnl-3.0": "libnl-3-dev", "yaml-0.1": "libyaml-dev"}
    with open("scripts/third-party.sh") as fh:
        tp = re.search(r"for c in ([^;]*); do\n\s*command -v", fh.read())
    tools = tp.group(1).split() if tp else []
    defs = "\n".join(m.group(0) for m in re.finditer(
        r"^(?:NL_CFLAGS|PLUGIN_LIBS|IPAM_LIBS|CJSON_LIBS)\s*:=(?:.*\\\n)*.*", mk, re.M))
    libs = re.findall(r"(?<![\w-])-l([\w.+-]+)", defs)
    mods = [w for m in re.findall(r"--(?:cflags|libs) ([^)]*)\)", defs) for w in m.split()]
    hdrs = ["libibverbs-dev"] if any("<infiniband/" in open(f).read() for f in
                                     glob.glob("src/**/*.c", recursive=True) + glob.glob("cmd/*/*.c")) else []
    unknown = [t for t in tools if t not in tool_pkg] + [l for l in libs if l not in lib_pkg] + \
        [p for p in mods if p not in pc_pkg]
    need = {"gcc", "make", "pkg-config", "libc6-dev"} | set(hdrs) \
        | {tool_pkg[t] for t in tools if t in tool_pkg} \
        | {lib_pkg[l] for l in libs if l in lib_pkg} | {pc_pkg[p] for p in mods if p in pc_pkg}
    check("Dockerfile: the build stage installs what the build needs " + str(sorted(need)),
          tools and libs and mods and not unknown and need <= build_pkgs,
          {"missing": sorted(need - build_pkgs), "not in this check's maps": unknown})
    final = re.search(r"^FROM debian:12-slim\s*\n(.*)", dockerfile, re.M | re.S)
    check("Dockerfile: the installer stage adds no package to debian:12-slim (the binaries need "
          "its glibc only)", final and "apt-get" not in final.group(1), "")
    stale = [f for f in glob.glob("deploy/*") + glob.glob("conf-examples/*")
             if f != "deploy/installer.sh" and "rdmanet-lib" in open(f).read()]
    check("deploy/ and conf-examples/ name no rdmanet-lib/ (only the installer, which removes it)",
          not stale, stale)
    images = {c2.get("image") for f2, d2 in api if d2.get("kind") in WORKLOADS
              and f2.startswith("deploy/") for c2 in pod_spec(d2)[0].get("containers") or []}
    check("deploy/ images are the placeholder rdmanet:0.1 named in the Dockerfile",
          images == {"rdmanet:0.1"} and "rdmanet:0.1" in dockerfile, images)

# ------------------------------------------------------------------ the reconciler
deps_ = [d for f, d in by_kind("Deployment", "deploy/")]
rec = [d for d in deps_ if "reconcile" in json.dumps(pod_spec(d)[0].get("containers"))]
check("deploy/: a reconciler Deployment", len(rec) == 1, len(rec))
if rec:
    d = rec[0]
    spec, _ = pod_spec(d)
    c = spec["containers"][0]
    cmd = (c.get("command") or []) + (c.get("args") or [])
    check("reconciler: one replica", d["spec"].get("replicas") == 1, d["spec"].get("replicas"))
    check("reconciler: runs rdmanet-ipam reconcile --interval 60",
          len(cmd) >= 4 and cmd[0].endswith("/rdmanet-ipam") and cmd[1] == "reconcile"
          and "--interval" in cmd and cmd[cmd.index("--interval") + 1] == "60", cmd)
    check("reconciler: the binary is where the image has it",
          cmd and cmd[0] == installer_env.get("RDMANET_SRC_DIR", "/opt/cni/bin") + "/rdmanet-ipam", cmd)
    check("reconciler: runs as non-root",
          (spec.get("securityContext") or {}).get("runAsNonRoot") is True, spec.get("securityContext"))

# ------------------------------------------------------------------ the reconciler's metrics
def metric_names():
    """The families src/metrics/metrics.c renders, with a histogram's series."""
    with open("src/metrics/metrics.c") as fh:
        src = fh.read()
    names = set()
    for name, typ in re.findall(r'family\(f, "(\w+)", "(\w+)"', src):
        names.add("rdmanet_ipam_" + name)
        if typ == "histogram":
            names |= {f"rdmanet_ipam_{name}_{s}" for s in ("bucket", "sum", "count")}
    names |= {"rdmanet_ipam_" + n for n in re.findall(r'pool_family\(f, \d, "(\w+)"', src)}
    return names


if rec:
    spec, tmeta = pod_spec(rec[0])
    c = spec["containers"][0]
    cmd = (c.get("command") or []) + (c.get("args") or [])
    mport = int(cmd[cmd.index("--metrics-port") + 1]) if "--metrics-port" in cmd else None
    cports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
    check("reconciler: --metrics-port is its container port named metrics",
          mport and cports.get("metrics") == mport, (mport, cports))
    rlabels = tmeta.get("labels") or {}
    dslabels = (pod_spec(ds[0])[1].get("labels") or {}) if ds else {}
    msvc = [d for _, d in by_kind("Service", "deploy/") if any(
        p.get("targetPort") in ("metrics", mport) for p in (d.get("spec") or {}).get("ports") or [])]
    sel = ((msvc or [{}])[0].get("spec") or {}).get("selector") or {}
    check("deploy/: a Service for the metrics port selects the reconciler's pods (not the DaemonSet's)",
          len(msvc) == 1 and sel and all(rlabels.get(k) == v for k, v in sel.items())
          and not all(dslabels.get(k) == v for k, v in sel.items()), (sel, rlabels))
    with open("deploy/kustomization.yaml") as fh:
        kres = (yaml.safe_load(fh) or {}).get("resources") or []
    sm = [(f, d) for f, d in by_kind("ServiceMonitor")]
    check("deploy/: an example ServiceMonitor, in a file of its own kustomization.yaml leaves out",
          len(sm) == 1 and sm[0][0].startswith("deploy/") and os.path.basename(sm[0][0]) not in kres
          and all(d.get("kind") in ("ServiceMonitor", "PrometheusRule")
                  for f, d in api if f == sm[0][0]), (sm and sm[0][0], kres))
    if sm and msvc:
        smspec = sm[0][1].get("spec") or {}
        slabels = (msvc[0].get("metadata") or {}).get("labels") or {}
        want = (smspec.get("selector") or {}).get("matchLabels") or {}
        pnames = {p.get("name") for p in (msvc[0].get("spec") or {}).get("ports") or []}
        check("ServiceMonitor: selects the metrics Service in kube-system, by its port's name",
              want and all(slabels.get(k) == v for k, v in want.items())
              and NS in ((smspec.get("namespaceSelector") or {}).get("matchNames") or [])
              and all(e.get("port") in pnames and e.get("path", "/metrics") == "/metrics"
                      for e in smspec.get("endpoints") or [{}]), (want, slabels, pnames))
    known = metric_names()
    used = {}
    for f in glob.glob("deploy/*") + ["README.md", "docs/operator-guide.md"]:
        with open(f) as fh:
            for n in re.findall(r"\brdmanet_ipam_\w+", fh.read()):
                used.setdefault(n, f)
    check(f"metric names in deploy/, README and the operator guide are ones src/metrics/metrics.c "
          f"renders ({len(known)} known, {len(used)} named)",
          len(known) >= 14 and used and all(n in known for n in used),
          {n: f for n, f in used.items() if n not in known})

# ------------------------------------------------------------------ RBAC
roles = {(ns_of(d), name_of(d)): d for _, d in by_kind("Role", "deploy/")}
croles = {name_of(d): d for _, d in by_kind("ClusterRole", "deploy/")}
rbs = [d for _, d in by_kind("RoleBinding", "deploy/")]
crbs = [d for _, d in by_kind("ClusterRoleBinding", "deploy/")]
ds_sa = pod_spec(ds[0])[0].get("serviceAccountName") if ds else None
rec_sa = pod_spec(rec[0])[0].get("serviceAccountName") if rec else None
all_rules = [r for d in list(roles.values()) + list(croles.values()) for r in d.get("rules") or []]
check("RBAC: no wildcard, no nonResourceURLs, no resourceNames tricks",
      all("*" not in (r.get("verbs") or []) + (r.get("resources") or []) + (r.get("apiGroups") or [])
          and "nonResourceURLs" not in r for r in all_rules), all_rules)


def grants(rules, group, resource):
    v = set()
    for r in rules:
        if group in (r.get("apiGroups") or []) and resource in (r.get("resources") or []):
            v |= set(r.get("verbs") or [])
    return v


def bound(sa, kind):
    """The rules a ServiceAccount (in NS) gets through bindings of kind."""
    rules = []
    for b in (rbs if kind == "Role" else crbs):
        subj = [(s.get("kind"), s.get("namespace"), s.get("name")) for s in b.get("subjects") or []]
        if ("ServiceAccount", NS, sa) not in subj:
            continue
        ref = b.get("roleRef") or {}
        if kind == "Role":
            role = roles.get((ns_of(b), ref.get("name"))) if ref.get("kind") == "Role" else None
        else:
            role = croles.get(ref.get("name")) if ref.get("kind") == "ClusterRole" else None
        check(f"RBAC: {b['kind']}/{name_of(b)} refers to a {ref.get('kind')} defined here",
              role is not None and ref.get("apiGroup") == "rbac.authorization.k8s.io", ref)
        rules += (role or {}).get("rules") or []
    return rules


for sa, who in ((ds_sa, "the DaemonSet (rdmanet-ipam on the nodes)"), (rec_sa, "the reconciler")):
    rr = bound(sa, "Role")
    for res in ("ippools", "overlappingrangeipreservations"):
        v = grants(rr, "whereabouts.cni.cncf.io", res)
        check(f"RBAC: {who} ({sa}) may {'/'.join(sorted(IPAM_VERBS))} {res} in {NS}",
              v == IPAM_VERBS, sorted(v))
# Events on the IPPools (README, rdmanet-ipam): the nodes create and patch (aggregation), the
# reconciler only creates; nobody reads them, and never cluster-wide
EVENT_VERBS = {ds_sa: {"create", "patch"}, rec_sa: {"create"}}
for sa, who in ((ds_sa, "the DaemonSet (rdmanet-ipam on the nodes)"), (rec_sa, "the reconciler")):
    v = grants(bound(sa, "Role"), "", "events")
    check(f"RBAC: {who} ({sa}) may {'/'.join(sorted(EVENT_VERBS[sa]))} events in {NS}, no more",
          v == EVENT_VERBS[sa], sorted(v))
    check(f"RBAC: {who} ({sa}) gets nothing on events cluster-wide",
          not grants(bound(sa, "ClusterRole"), "", "events"), "")
check("RBAC: the reconciler may get/list pods cluster-wide",
      grants(bound(rec_sa, "ClusterRole"), "", "pods") == {"get", "list"},
      grants(bound(rec_sa, "ClusterRole"), "", "pods"))
check("RBAC: the DaemonSet's service account (its token sits on every node) has no ClusterRole",
      not bound(ds_sa, "ClusterRole"), bound(ds_sa, "ClusterRole"))
check("RBAC: nothing but pods, events and the two custom resources is granted",
      all(set(r.get("resources") or []) <= {"pods", "events", "ippools",
                                             "overlappingrangeipreservations"}
          and set(r.get("verbs") or []) <= IPAM_VERBS for r in all_rules), all_rules)
check("RBAC: events are granted only in the core group, only create and patch",
      all(set(r.get("verbs") or []) <= {"create", "patch"} and r.get("apiGroups") == [""]
          for r in all_rules if "events" in (r.get("resources") or [])), all_rules)
for b in rbs + crbs:
    for s in b.get("subjects") or []:
        check(f"RBAC: {b['kind']}/{name_of(b)} subject {s.get('name')} is a ServiceAccount defined here",
              (s.get("namespace"), s.get("name")) in service_accounts, s)
with open("README.md") as fh:
    readme = fh.read()
check("README points at deploy/rbac.yaml and deploy/crds.yaml",
      "deploy/rbac.yaml" in readme and "deploy/crds.yaml" in readme, "")
check("README lists the events rights of deploy/rbac.yaml: create and patch (nodes), create "
      "(reconciler)",
      "`create` and `patch` of `events`" in readme and "`create` of `events`" in readme, "")

# ------------------------------------------------------------------ CRDs
crds = [d for _, d in by_kind("CustomResourceDefinition")]
check("CRDs: IPPool and OverlappingRangeIPReservation, once each",
      sorted(((d.get("spec") or {}).get("names") or {}).get("kind") for d in crds) ==
      ["IPPool", "OverlappingRangeIPReservation"], [name_of(d) for d in crds])


def structural(s, path):
    """Problems that make a schema non-structural (apiextensions' rules, the ones we can hit)."""
    errs = []
    if not isinstance(s, dict):
        return [f"{path}: not an object"]
    if "type" not in s and not (s.get("x-kubernetes-int-or-string") or
                                s.get("x-kubernetes-preserve-unknown-fields")):
        errs.append(f"{path}: no type")
    if "properties" in s and "additionalProperties" in s:
        errs.append(f"{path}: both properties and additionalProperties")
    if ("properties" in s or "additionalProperties" in s) and s.get("type") != "object":
        errs.append(f"{path}: properties on a non-object")
    for k in ("$ref", "definitions", "dependencies", "id"):
        if k in s:
            errs.append(f"{path}: {k} is not allowed")
    for k, v in (s.get("properties") or {}).items():
        errs += structural(v, f"{path}.{k}")
    if isinstance(s.get("additionalProperties"), dict):
        errs += structural(s["additionalProperties"], f"{path}[*]")
    if isinstance(s.get("items"), dict):
        errs += structural(s["items"], f"{path}[]")
    for r in s.get("required") or []:
        if r not in (s.get("properties") or {}):
            errs.append(f"{path}: required '{r}' is not a property")
    return errs


def schema_has(s, dotted):
    for part in dotted.split("."):
        if part == "*":
            s = s.get("additionalProperties") or {}
        else:
            s = (s.get("properties") or {}).get(part)
        if not isinstance(s, dict):
            return False
    return True


WRITES = {"IPPool": ["spec.range", "spec.allocations.*.id", "spec.allocations.*.podref",
                     "spec.allocations.*.ifname"],
          "OverlappingRangeIPReservation": ["spec.containerid", "spec.podref", "spec.ifname"]}
for d in crds:
    sp = d.get("spec") or {}
    names = sp.get("names") or {}
    w = f"CRD {name_of(d)}"
    check(f"{w}: name is <plural>.<group>", name_of(d) == f"{names.get('plural')}.{sp.get('group')}",
          name_of(d))
    check(f"{w}: group whereabouts.cni.cncf.io, Namespaced",
          sp.get("group") == "whereabouts.cni.cncf.io" and sp.get("scope") == "Namespaced", sp.get("scope"))
    vers = sp.get("versions") or []
    check(f"{w}: v1alpha1 served, exactly one storage version",
          [v.get("name") for v in vers if v.get("served")] == ["v1alpha1"]
          and sum(bool(v.get("storage")) for v in vers) == 1, vers)
    for v in vers:
        s = (v.get("schema") or {}).get("openAPIV3Schema")
        errs = structural(s, "openAPIV3Schema") if s else ["no openAPIV3Schema"]
        if s and s.get("type") != "object":
            errs.append("root is not type: object")
        check(f"{w} {v.get('name')}: schema is structural", not errs, errs)
        miss = [p for p in WRITES.get(names.get("kind"), []) if not schema_has(s or {}, p)]
        check(f"{w} {v.get('name')}: schema keeps every field rdmanet-ipam writes", not miss, miss)

# ------------------------------------------------------------------ NADs
nads = {}
for f, d in by_kind("NetworkAttachmentDefinition"):
    w = where(f, d)
    cfgtext = (d.get("spec") or {}).get("config")
    try:
        cfg = json.loads(cfgtext)
    except (TypeError, ValueError) as e:
        nok(f"{w}: spec.config is JSON", e)
        continue
    ok(f"{w}: spec.config is JSON")
    nads[(ns_of(d), name_of(d))] = (f, d, cfg)
    check(f"{w}: config name is the NAD's name", cfg.get("name") == name_of(d), cfg.get("name"))
    # as Multus passes it: a NAD with a resourceName gets the device plugin's device as deviceID
    res = ((d.get("metadata") or {}).get("annotations") or {}).get("k8s.v1.cni.cncf.io/resourceName")
    runcfg = dict(cfg)
    if res:
        runcfg["deviceID"] = "0" if res.startswith("rdma/") else "0000:3b:00.2"
    p = subprocess.run([CONFIG_CHECK, "-"], input=json.dumps(runcfg), capture_output=True, text=True)
    if p.returncode != 0:
        nok(f"{w}: passes rdmanet's config parser for ADD", p.stdout + p.stderr)
        continue
    sumj = json.loads(p.stdout)
    ok(f"{w}: passes rdmanet's config parser for ADD (link {sumj['link']}"
       f"{', master ' + sumj['master'] if sumj['master'] else ', deviceID from Multus'})")
    nads[(ns_of(d), name_of(d))] = (f, d, cfg, sumj)
    if cfg.get("type") == "rdmanet" and cfg.get("ipam"):
        check(f"{w}: IPAM is rdmanet-ipam, passing rdmanet-ipam's parser",
              sumj.get("ipam") == "rdmanet-ipam" and sumj.get("ranges"), sumj)
        check(f"{w}: kubernetes.kubeconfig is the file the installer writes",
              sumj.get("kubeconfig") == KUBECONFIG, sumj.get("kubeconfig"))
        check(f"{w}: has an exclude example", bool(cfg["ipam"].get("exclude")), cfg["ipam"])
    if sumj["link"] == "hostdev":
        check(f"{w}: hostdev without master carries a resourceName annotation (Multus' deviceID)",
              sumj["master"] or res, res)

ranges = [(k, ipaddress.ip_network(r)) for k, v in nads.items() if len(v) == 4
          for r in v[3].get("ranges") or []]
clash = [(a[0][1], b[0][1]) for i, a in enumerate(ranges) for b in ranges[i + 1:]
         if a[1].overlaps(b[1])]
check(f"NADs: the {len(ranges)} IP ranges are disjoint", ranges and not clash, clash)
pools = [p for v in nads.values() if len(v) == 4 for p in v[3].get("pools") or []]
check("NADs: no two networks share an IPPool", len(pools) == len(set(pools)), pools)
masters = {}
for (ns, n), v in nads.items():
    if len(v) == 4:
        masters.setdefault(v[0], []).append((v[3]["link"], v[3]["master"]))
check("NADs: the V100 file has one IPoIB network per port (ib0, ib1)",
      sorted(masters.get("conf-examples/nad-ipoib-v100.yaml", [])) == [("ipoib", "ib0"), ("ipoib", "ib1")],
      masters.get("conf-examples/nad-ipoib-v100.yaml"))
check("NADs: an IPoIB A100 network on ib0",
      masters.get("conf-examples/nad-ipoib-a100.yaml") == [("ipoib", "ib0")],
      masters.get("conf-examples/nad-ipoib-a100.yaml"))
check("NADs: a RoCE macvlan network", ("macvlan", "ens1f0") in masters.get(
      "conf-examples/nad-roce-macvlan.yaml", []), masters)
check("NADs: an SR-IOV hostdev network", ("hostdev", "") in masters.get(
      "conf-examples/nad-sriov-hostdev.yaml", []), masters)
rails8 = [v for v in nads.values() if len(v) == 4 and v[0] == "conf-examples/nad-roce-8rail.yaml"]
check("NADs: the 8-rail file has 8 RoCE macvlan networks on 8 different masters",
      len(rails8) == 8 and all(v[3]["link"] == "macvlan" for v in rails8)
      and len({v[3]["master"] for v in rails8}) == 8, [(v[3]["link"], v[3]["master"]) for v in rails8])
check("NADs: the 8 rails leave routing and the ARP sysctls at their defaults (own table, 1/2/2)",
      rails8 and all("routing" not in v[2] and (v[3]["routing"], v[3]["arpIgnore"], v[3]["arpAnnounce"],
                                                v[3]["rpFilter"]) == ("table", 1, 2, 2) for v in rails8),
      [(v[3].get("routing"), v[3].get("arpIgnore")) for v in rails8])
check("NADs: every network's routing is one rdmanet's parser knows",
      all(v[3].get("routing") in ("table", "main") for v in nads.values() if len(v) == 4),
      [v[3].get("routing") for v in nads.values() if len(v) == 4])

# ------------------------------------------------------------------ pods asking for networks
shared_res = set()
for _, d in by_kind("ConfigMap"):
    raw = (d.get("data") or {}).get("config.json")
    if raw and "configList" in raw:
        try:
            for c in json.loads(raw)["configList"]:
                shared_res.add(c.get("resourcePrefix", "rdma") + "/" + c["resourceName"])
        except (ValueError, KeyError) as e:
            nok("rdma-shared-dev-plugin config.json is JSON with configList", e)
check("the shared device plugin's config defines rdma/rdma_shared_device_a",
      "rdma/rdma_shared_device_a" in shared_res, shared_res)


def parse_networks(s):
    s = s.strip()
    if s.startswith("["):
        return [(e.get("namespace"), e["name"], e.get("interface")) for e in json.loads(s)]
    out = []
    for item in s.split(","):
        item = item.strip()
        ifn = None
        if "@" in item:
            item, ifn = item.split("@", 1)
        ns, _, n = item.rpartition("/")
        out.append((ns or None, n, ifn))
    return out


users = 0
for f, d in api:
    if d.get("kind") not in WORKLOADS | {"Pod"}:
        continue
    spec, tmeta = pod_spec(d)
    ann = (tmeta.get("annotations") or {}).get("k8s.v1.cni.cncf.io/networks")
    if not ann:
        continue
    users += 1
    w = where(f, d)
    try:
        nets = parse_networks(ann)
    except (ValueError, KeyError, AttributeError) as e:
        nok(f"{w}: networks annotation parses", e)
        continue
    missing = [n for ns, n, _ in nets if (ns or ns_of(d), n) not in nads]
    check(f"{w}: networks {[n for _, n, _ in nets]} are NADs of its namespace", not missing, missing)
    ifnames = [i for _, _, i in nets if i]
    check(f"{w}: interface names are unique", len(ifnames) == len(set(ifnames)), ifnames)
    wanted = set()
    for ns, n, _ in nets:
        v = nads.get((ns or ns_of(d), n))
        if v:
            r = ((v[1].get("metadata") or {}).get("annotations") or {}).get(
                "k8s.v1.cni.cncf.io/resourceName")
            wanted.add(r) if r else None
    for c in spec.get("containers") or []:
        lim = set(((c.get("resources") or {}).get("limits") or {}).keys())
        caps = ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
        rdma = {r for r in lim if r.startswith("rdma/")} | (lim & wanted)
        check(f"{w}: container {c['name']} requests an RDMA resource", rdma, lim)
        check(f"{w}: container {c['name']} adds IPC_LOCK", "IPC_LOCK" in caps, caps)
        check(f"{w}: container {c['name']} requests the resource its networks' resourceName names",
              wanted <= lim, (wanted, lim))
        bad = [r for r in lim if r.startswith("rdma/") and r not in shared_res]
        check(f"{w}: container {c['name']}'s rdma/ resources are in the device plugin config",
              not bad, bad)
check("conf-examples: at least 5 workloads ask for RDMA networks", users >= 5, users)

# ------------------------------------------------------------------ verification Job, NCCL
jobs = {name_of(d): (f, d) for f, d in by_kind("Job", "conf-examples/")}


def anti_affine(spec, labels):
    terms = (((spec.get("affinity") or {}).get("podAntiAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
    return any(t.get("topologyKey") == "kubernetes.io/hostname" and all(
        labels.get(k) == v for k, v in ((t.get("labelSelector") or {}).get("matchLabels") or {}).items())
        for t in terms)


def script_of(c):
    return "\n".join((c.get("command") or []) + (c.get("args") or []))


for jname, needles in (("rdma-verify", ["ib_write_bw", "ifalias", "-d", "-x", "RESULT", "Gb/s"]),
                       ("nccl-allreduce", ["ifalias", "NCCL_IB_HCA", "NCCL_IB_GID_INDEX",
                                           "NCCL_SOCKET_IFNAME", "NCCL_IB_DISABLE=0"])):
    if jname not in jobs:
        nok(f"conf-examples: Job {jname} exists")
        continue
    f, d = jobs[jname]
    spec, tmeta = pod_spec(d)
    js = d.get("spec") or {}
    check(f"Job {jname}: two pods, Indexed", js.get("completions") == 2 and js.get("parallelism") == 2
          and js.get("completionMode") == "Indexed", js)
    check(f"Job {jname}: pods on different nodes (required podAntiAffinity on the hostname)",
          anti_affine(spec, tmeta.get("labels") or {}), spec.get("affinity"))
    for c in spec.get("containers") or []:
        s = script_of(c)
        miss = [n for n in needles if n not in s]
        check(f"Job {jname}: the script uses {needles}", not miss, miss)
        body = (c.get("args") or [""])[-1]
        if (c.get("command") or [""])[0].endswith("bash"):
            p = subprocess.run(["bash", "-n"], input=body, capture_output=True, text=True)
            check(f"Job {jname}: the script is valid bash", p.returncode == 0, p.stderr)

# ------------------------------------------------------------------ the 8-rail pod
rail_pods = [(f, d) for f, d in api if f == "conf-examples/pod-roce-8rail.yaml" and d.get("kind") == "Pod"]
check("conf-examples: pod-roce-8rail.yaml holds one Pod", len(rail_pods) == 1, len(rail_pods))
for f, d in rail_pods:
    ann = ((d.get("metadata") or {}).get("annotations") or {}).get("k8s.v1.cni.cncf.io/networks", "")
    nets = parse_networks(ann) if ann else []
    check("8-rail pod: rail0..rail7 as net1..net8",
          [(n, i) for _, n, i in nets] == [(f"rail{k}", f"net{k + 1}") for k in range(8)], nets)
    for c in pod_spec(d)[0].get("containers") or []:
        s = script_of(c)
        needles = ["/sys/class/net/*/ifalias", "rdmanet:", "NCCL_IB_HCA", "NCCL_IB_GID_INDEX",
                   "NCCL_SOCKET_IFNAME"]
        miss = [n for n in needles if n not in s]
        check(f"8-rail pod: the script derives NCCL's settings from every label {needles}",
              not miss, miss)
        p = subprocess.run(["bash", "-n"], input=(c.get("args") or [""])[-1], capture_output=True,
                           text=True)
        check("8-rail pod: the script is valid bash", p.returncode == 0, p.stderr)

# ------------------------------------------------------------------ kustomization
with open("deploy/kustomization.yaml") as fh:
    kz = yaml.safe_load(fh)
listed = kz.get("resources") or []
# *-example.yaml: objects of CRDs not every cluster has (the Prometheus operator's), applied alone
check("deploy/kustomization.yaml lists every manifest in deploy/ but the *-example.yaml ones",
      sorted(listed) == sorted(os.path.basename(p) for p in files
                               if p.startswith("deploy/") and not p.endswith("kustomization.yaml")
                               and not p.endswith("-example.yaml")),
      listed)

# ------------------------------------------------------------------ docs
guide_path = "docs/operator-guide.md"
guide = open(guide_path).read() if os.path.exists(guide_path) else ""
check("docs/operator-guide.md exists and README links it", guide and guide_path in readme, "")
src = ""
for p in sorted(glob.glob("src/**/*.c", recursive=True) + glob.glob("cmd/**/*.c", recursive=True) +
                glob.glob("cmd/**/*.h", recursive=True)):
    src += open(p).read()
codes = {}
for name, val in re.findall(r"^\s*((?:CNI|RDMANET)_ERR_[A-Z_]+)\s*=\s*(\d+)", open(
        "include/rdmanet/err.h").read(), re.M):
    if re.search(r"\b" + name + r"\b", src):
        codes[int(val)] = name
rows = set(int(x) for x in re.findall(r"^\|\s*(\d+)\s*\|", guide, re.M))
check(f"operator guide: a troubleshooting row for every error code the code uses {sorted(codes)}",
      codes and set(codes) <= rows, sorted(set(codes) - rows))
readme_rows = set(int(x) for x in re.findall(r"^\|\s*(\d+)\s*\|", readme, re.M))
check("README: the error table lists every error code the code uses",
      set(codes) <= readme_rows, sorted(set(codes) - readme_rows))

# doctor findings: the first line ("what") of each finding() format, as a regex
doctor_files = sorted(glob.glob("src/**/doctor*.c", recursive=True))
doctor = "".join(open(p).read() for p in doctor_files)
macros = dict(re.findall(r'^#define (\w+) "([^"]*)"', doctor + "".join(
    open(p).read() for p in glob.glob("include/rdmanet/doctor*.h")), re.M))
whats = []
for m in re.finditer(r"\b(?:doctor_)?finding\(\w+, (?:SEV_\w+|DOCTOR_\w+|sev),\s*", doctor):
    pos, parts = m.end(), []
    while True:
        mm = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([A-Z_]+)(?=\s*"))').match(doctor, pos)
        if not mm:
            break
        parts.append(mm.group(1) if mm.group(1) is not None else macros.get(mm.group(2), ""))
        pos = mm.end()
    fmt = "".join(parts)
    if fmt:
        whats.append(fmt.split("\\n")[0])
check(f"doctor: finding() formats found in {' '.join(doctor_files)}", len(whats) >= 15, len(whats))
missing = []
for w in whats:
    pat = "".join(".+?" if re.fullmatch(r"%[a-z]+", t) else re.escape(t)
                  for t in re.split(r"(%[a-z]+)", w) if t)
    if not re.search(pat, guide):
        missing.append(w)
check(f"operator guide: every one of the {len(whats)} doctor findings has a row", not missing, missing)

# every repository path the docs name exists
docs_text = readme + guide
paths = set(re.findall(r"\b((?:deploy|conf-examples|docs|tests|scripts)/[A-Za-z0-9_.\-/]*[A-Za-z0-9_])",
                       docs_text))
gone = sorted(p for p in paths if not os.path.exists(p) and not glob.glob(p))
check(f"README and the guide name {len(paths)} repository paths, all existing", not gone, gone)

sys.exit(0 if all(RESULTS) else 1)
