#!/usr/bin/env python3
"""Checks of the operations files (deploy/, helm/store/), run by ctest as ops.*.

    ops_check.py [--repo DIR] <check> [--promtool PATH] [--kubectl PATH]

Checks:
  k8s          deploy/k8s as text: kustomizations, Deployments (probes, resources,
               security context), image tags
  kustomize    every deploy/k8s/services/* and overlays/* built with `kubectl kustomize`,
               then the rendered objects checked and cross-referenced (needs --kubectl)
  new-service  deploy/k8s/new-service.sh in a scratch copy yields a valid service folder
  helm         helm/store as text (there is no helm binary here): Chart.yaml, the
               merged values of every service, template syntax and required parts
  grafana      deploy/grafana/*.json: parses, variables, every panel has queries; with
               --promtool every query is also parsed by promtool
  rules        deploy/prometheus/rules: labels, annotations, runbook links, every alert
               exercised by a firing test, the chart's copy is the same file
  coverage     every services/<name>/ with a main.cc is deployed: chart values,
               deploy/k8s/services/<name>/ and the dev overlay
  docker       deploy/docker/Dockerfile as text: pinned bases, non-root, SERVICE arg

Exit status 0 when the check passes, 1 with one line per problem otherwise.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    sys.exit("ops_check.py needs PyYAML: apt-get install python3-yaml")

SEVERITIES = {"critical", "warning"}
MIGRATION_MODES = {"initContainer", "job", "none"}
HEALTH_TYPES = {"grpc", "http"}
PROBE_ACTIONS = ("grpc", "httpGet", "tcpSocket", "exec")

# The metric families the services export (libs/metrics and each service's own), plus
# Prometheus' own `up`.
KNOWN_METRICS = {
    "up",
    "grpc_server_handled_total",
    "grpc_server_handling_seconds_bucket",
    "grpc_server_handling_seconds_sum",
    "grpc_server_handling_seconds_count",
    "outbox_pending_events",
    "outbox_oldest_pending_age_seconds",
    "events_published_total",
    "events_publish_failures_total",
    "events_consumed_total",
    "db_pool_in_use",
    "db_pool_size",
    "store_orders_placed_total",
    "store_order_status_changes_total",
    # invoicing: store_invoices_issued_total{kind="invoice|credit_note"}
    "store_invoices_issued_total",
    "store_invoices_cancelled_total",
    # consumer_lag_messages{consumer,topic,partition}: libs/events/consumer.cc
    "consumer_lag_messages",
}


class Problems:
    """Collects problems; each is reported as '<where>: <what>'."""

    def __init__(self):
        self.items = []

    def add(self, where, what):
        self.items.append(f"{where}: {what}")

    def report(self, check, passed_note):
        if self.items:
            for item in self.items:
                print(f"FAIL {item}")
            print(f"ops {check}: {len(self.items)} problem(s)")
            return 1
        print(f"ops {check}: {passed_note}")
        return 0


# --- helpers ---------------------------------------------------------------------------

def rel(repo, path):
    return os.path.relpath(path, repo)


def load_yaml_docs(path, problems, repo):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        problems.add(rel(repo, path), f"invalid YAML: {e}")
        return []


def service_names(repo):
    """Services of the repository: services/<name>/ folders with a main.cc."""
    root = os.path.join(repo, "services")
    if not os.path.isdir(root):
        return []
    return sorted(n for n in os.listdir(root)
                  if os.path.isfile(os.path.join(root, n, "main.cc")))


def image_tag(image):
    """The tag of an image reference, '' when it has none (i.e. implicitly latest)."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def image_has_digest(image):
    return "@sha256:" in image


def check_image(image, where, problems):
    if image_has_digest(image):
        return
    tag = image_tag(image)
    if not tag:
        problems.add(where, f"image {image} has no tag (means latest); pin a version")
    elif tag == "latest":
        problems.add(where, f"image {image} uses the latest tag; pin a version")


def check_pod_spec(spec, where, problems, check_images=True):
    """Probes, resources and security context of every container of a pod spec."""
    pod_sc = spec.get("securityContext") or {}
    containers = spec.get("containers") or []
    inits = spec.get("initContainers") or []
    if not containers:
        problems.add(where, "no containers")
    for kind, group in (("container", containers), ("initContainer", inits)):
        for c in group:
            cw = f"{where} {kind} {c.get('name', '?')}"
            if check_images:
                check_image(str(c.get("image", "")), cw, problems)
            if kind == "container":
                for probe in ("readinessProbe", "livenessProbe"):
                    p = c.get(probe)
                    if not isinstance(p, dict) or not any(a in p for a in PROBE_ACTIONS):
                        problems.add(cw, f"no {probe} with an action")
            res = c.get("resources") or {}
            for part, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
                for key in keys:
                    if not (res.get(part) or {}).get(key):
                        problems.add(cw, f"no resources.{part}.{key}")
            sc = c.get("securityContext") or {}
            if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
                problems.add(cw, "runAsNonRoot is not true (container or pod)")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.add(cw, "securityContext.readOnlyRootFilesystem is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.add(cw, "securityContext.allowPrivilegeEscalation is not false")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.add(cw, "securityContext.capabilities.drop does not contain ALL")
            seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                problems.add(cw, "seccompProfile is not RuntimeDefault (container or pod)")


def check_deployment(doc, where, problems, check_images=True):
    spec = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    check_pod_spec(spec, where, problems, check_images)
    grace = spec.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace < 10:
        problems.add(where, "terminationGracePeriodSeconds is missing or under 10s")


# --- k8s: the kustomize tree as text ---------------------------------------------------

def kustomization_tree(repo):
    root = os.path.join(repo, "deploy", "k8s")
    for dirpath, _, files in os.walk(root):
        if "kustomization.yaml" in files:
            yield dirpath


def check_k8s(repo, problems):
    root = os.path.join(repo, "deploy", "k8s")
    if not os.path.isdir(root):
        problems.add("deploy/k8s", "missing")
        return
    for name in ("base", "services", "overlays/dev", "README.md"):
        if not os.path.exists(os.path.join(root, name)):
            problems.add("deploy/k8s", f"{name} is missing")

    # Every YAML file parses.
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith((".yaml", ".yml")):
                load_yaml_docs(os.path.join(dirpath, f), problems, repo)

    deployments = 0
    rewritten = set()  # image names some kustomization rewrites (with a pinned tag)
    resource_images = []
    for kdir in kustomization_tree(repo):
        kpath = os.path.join(kdir, "kustomization.yaml")
        docs = load_yaml_docs(kpath, problems, repo)
        if not docs:
            continue
        k = docs[0]
        where = rel(repo, kpath)
        for entry in k.get("resources") or []:
            target = os.path.normpath(os.path.join(kdir, entry))
            if not os.path.exists(target):
                problems.add(where, f"resource {entry} does not exist")
                continue
            if os.path.isfile(target):
                for doc in load_yaml_docs(target, problems, repo):
                    dwhere = f"{rel(repo, target)} {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
                    if doc.get("kind") == "Deployment":
                        deployments += 1
                        check_deployment(doc, dwhere, problems, check_images=False)
                    spec = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
                    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                        resource_images.append((str(c.get("image", "")), dwhere))
        for entry in k.get("patches") or []:
            if "path" in entry and not os.path.isfile(os.path.join(kdir, entry["path"])):
                problems.add(where, f"patch {entry['path']} does not exist")
        for entry in k.get("configurations") or []:
            if not os.path.isfile(os.path.join(kdir, entry)):
                problems.add(where, f"configuration {entry} does not exist")
        for img in k.get("images") or []:
            tag = str(img.get("newTag", ""))
            if img.get("digest"):
                rewritten.add(img.get("name"))
            elif not tag:
                problems.add(where, f"images entry {img.get('name')} sets no newTag")
            elif tag == "latest":
                problems.add(where, f"images entry {img.get('name')} uses the latest tag")
            else:
                rewritten.add(img.get("name"))

    if deployments == 0:
        problems.add("deploy/k8s", "no Deployment found in any kustomization's resources")
    for image, where in resource_images:
        if image_tag(image) or image_has_digest(image):
            check_image(image, where, problems)
        elif image not in rewritten:
            problems.add(where, f"image {image} has no tag and no kustomization pins one")

    # Every service folder includes the base and pins its image.
    services_dir = os.path.join(root, "services")
    for name in sorted(os.listdir(services_dir)) if os.path.isdir(services_dir) else []:
        kpath = os.path.join(services_dir, name, "kustomization.yaml")
        where = rel(repo, kpath)
        if not os.path.isfile(kpath):
            problems.add(rel(repo, os.path.dirname(kpath)), "no kustomization.yaml")
            continue
        k = (load_yaml_docs(kpath, problems, repo) or [{}])[0]
        if "../../base" not in (k.get("resources") or []):
            problems.add(where, "does not include ../../base")
        if k.get("nameSuffix") != f"-{name}":
            problems.add(where, f"nameSuffix is not -{name}")
        images = {i.get("name"): i for i in k.get("images") or []}
        pinned = images.get("store-backend/service") or {}
        if pinned.get("newName") != f"store-backend/{name}-service":
            problems.add(where, f"does not map store-backend/service to store-backend/{name}-service")


# --- kustomize: rendered objects -------------------------------------------------------

def kustomize_build(kubectl, path, problems, repo):
    run = subprocess.run([kubectl, "kustomize", path], capture_output=True, text=True)
    if run.returncode != 0:
        problems.add(rel(repo, path), f"kubectl kustomize failed: {run.stderr.strip()}")
        return []
    return [d for d in yaml.safe_load_all(run.stdout) if d is not None]


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_service_addr(addr, services, where, problems):
    """A backend address in a whole deployment (an overlay) dials
    dns:///<headless Service>:<one of its ports>: round_robin over every ready
    pod. A ClusterIP name would pin each caller to one pod per connection."""
    m = re.fullmatch(r"dns:///([a-z0-9-]+):([0-9]+)", addr)
    if not m:
        problems.add(where, f"{addr!r} is not dns:///<headless Service>:<port>")
        return
    svc = services.get(m.group(1))
    if svc is None:
        problems.add(where, f"Service {m.group(1)} is not rendered")
    elif svc["spec"].get("clusterIP") != "None":
        problems.add(where, f"Service {m.group(1)} is not headless (clusterIP: None)")
    elif int(m.group(2)) not in {p.get("port") for p in svc["spec"].get("ports") or []}:
        problems.add(where, f"Service {m.group(1)} has no port {m.group(2)}")


def check_rendered(objects, where, problems, external_refs):
    """Cross-reference a rendered set of objects (one kustomization's output).

    external_refs: whether ConfigMaps/Secrets may be provided outside this output.
    """
    by_kind = {}
    for o in objects:
        by_kind.setdefault(o.get("kind"), {})[(o.get("metadata") or {}).get("name")] = o
    deployments = by_kind.get("Deployment", {})
    if not deployments:
        problems.add(where, "renders no Deployment")
    for name, d in deployments.items():
        dw = f"{where} Deployment/{name}"
        check_deployment(d, dw, problems)
        pod = d["spec"]["template"]
        pod_labels = (pod.get("metadata") or {}).get("labels") or {}
        if not labels_match(d["spec"].get("selector", {}).get("matchLabels"), pod_labels):
            problems.add(dw, "selector does not match the pod labels")
        spec = pod["spec"]
        ports = {p.get("name") for c in spec.get("containers", []) for p in c.get("ports") or []}
        sa = spec.get("serviceAccountName")
        if sa and sa != "default" and sa not in by_kind.get("ServiceAccount", {}):
            problems.add(dw, f"ServiceAccount {sa} is not rendered")
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            for ef in c.get("envFrom") or []:
                ref = (ef.get("configMapRef") or {}).get("name")
                if ref and ref not in by_kind.get("ConfigMap", {}) and not external_refs:
                    problems.add(dw, f"container {c['name']}: ConfigMap {ref} is not rendered")
            for e in c.get("env") or []:
                ref = ((e.get("valueFrom") or {}).get("secretKeyRef") or {})
                if ref and ref.get("name") not in by_kind.get("Secret", {}) and not external_refs:
                    problems.add(dw, f"container {c['name']}: Secret {ref.get('name')} is not rendered")
                addr = e.get("value") or ""
                if e.get("name", "").endswith("_SERVICE_ADDR") and not external_refs:
                    check_service_addr(addr, by_kind.get("Service", {}),
                                       f"{dw} container {c['name']} {e['name']}", problems)
                secret = by_kind.get("Secret", {}).get(ref.get("name")) if ref else None
                if secret is not None and ref.get("key") not in (secret.get("data") or {}) \
                        and ref.get("key") not in (secret.get("stringData") or {}):
                    problems.add(dw, f"Secret {ref.get('name')} has no key {ref.get('key')}")

        services = [s for s in by_kind.get("Service", {}).values()
                    if labels_match(s["spec"].get("selector"), pod_labels)]
        if not services:
            problems.add(dw, "no Service selects its pods")
        for s in services:
            for p in s["spec"].get("ports") or []:
                if isinstance(p.get("targetPort"), str) and p["targetPort"] not in ports:
                    problems.add(f"{where} Service/{s['metadata']['name']}",
                                 f"targetPort {p['targetPort']} is not a container port")
        if not any(labels_match(p["spec"].get("selector", {}).get("matchLabels"), pod_labels)
                   for p in by_kind.get("PodDisruptionBudget", {}).values()):
            problems.add(dw, "no PodDisruptionBudget selects its pods")
        if not any(h["spec"]["scaleTargetRef"].get("name") == name
                   for h in by_kind.get("HorizontalPodAutoscaler", {}).values()):
            problems.add(dw, "no HorizontalPodAutoscaler scales it")
        monitors = [m for m in by_kind.get("ServiceMonitor", {}).values()
                    if any(labels_match(m["spec"].get("selector", {}).get("matchLabels"),
                                        (s.get("metadata") or {}).get("labels") or {})
                           for s in services)]
        if not monitors:
            problems.add(dw, "no ServiceMonitor selects its Service")
        service_ports = {p.get("name") for s in services for p in s["spec"].get("ports") or []}
        for m in monitors:
            for ep in m["spec"].get("endpoints") or []:
                if ep.get("port") not in service_ports:
                    problems.add(f"{where} ServiceMonitor/{m['metadata']['name']}",
                                 f"endpoint port {ep.get('port')} is not a Service port")
            relabel_targets = {r.get("targetLabel") for ep in m["spec"].get("endpoints") or []
                               for r in ep.get("relabelings") or []}
            for label in ("service", "system"):
                if label not in relabel_targets:
                    problems.add(f"{where} ServiceMonitor/{m['metadata']['name']}",
                                 f"does not set the `{label}` label the rules select on")


def check_kustomize(repo, kubectl, problems):
    root = os.path.join(repo, "deploy", "k8s")
    targets = []
    for group in ("services", "overlays"):
        gdir = os.path.join(root, group)
        for name in sorted(os.listdir(gdir)) if os.path.isdir(gdir) else []:
            targets.append((group, os.path.join(gdir, name)))
    if not targets:
        problems.add("deploy/k8s", "no services/* or overlays/* to build")
    for group, path in targets:
        objects = kustomize_build(kubectl, path, problems, repo)
        if objects:
            # A service folder leaves the shared ConfigMap and its Secret to the overlay.
            check_rendered(objects, rel(repo, path), problems, external_refs=(group == "services"))


def check_new_service(repo, kubectl, problems):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "k8s")
        shutil.copytree(os.path.join(repo, "deploy", "k8s"), copy, symlinks=True)
        name = "opsprobe"
        run = subprocess.run(["sh", os.path.join(copy, "new-service.sh"), name],
                             capture_output=True, text=True)
        if run.returncode != 0:
            problems.add("deploy/k8s/new-service.sh", f"failed: {run.stderr.strip()}")
            return
        folder = os.path.join(copy, "services", name)
        texts = "".join(open(os.path.join(folder, f), encoding="utf-8").read()
                        for f in sorted(os.listdir(folder)))
        if re.search(r"\border\b", texts):
            problems.add("deploy/k8s/new-service.sh", "the new folder still mentions `order`")
        for expected in (f"-{name}", f"{name}-service", f"store-{name}-db"):
            if expected not in texts:
                problems.add("deploy/k8s/new-service.sh", f"the new folder lacks {expected}")
        if kubectl:
            objects = kustomize_build(kubectl, folder, problems, repo)
            if objects:
                check_rendered(objects, f"new-service.sh {name}", problems, external_refs=True)
                names = {(o["kind"], o["metadata"]["name"]) for o in objects}
                if ("Deployment", f"store-{name}") not in names:
                    problems.add("deploy/k8s/new-service.sh", f"no Deployment store-{name} rendered")


# --- helm: the chart as text -----------------------------------------------------------

ACTION_RE = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
OPENERS = ("if ", "range ", "with ", "define ", "block ")


def template_balance(text):
    """Problems with the nesting of {{ if/range/with/define/block }} ... {{ end }}."""
    issues = []
    stack = []
    if text.count("{{") != text.count("}}"):
        issues.append("unbalanced {{ and }}")
    for m in ACTION_RE.finditer(text):
        action = m.group(1)
        if action.startswith("/*"):
            continue
        line = text.count("\n", 0, m.start()) + 1
        if action.startswith(OPENERS):
            stack.append((action.split()[0], line))
        elif action == "end":
            if not stack:
                issues.append(f"line {line}: end without an opening action")
            else:
                stack.pop()
        elif action == "else" or action.startswith(("else if ", "else with ")):
            if not stack or stack[-1][0] not in ("if", "with", "range"):
                issues.append(f"line {line}: else outside if/with/range")
    for kind, line in stack:
        issues.append(f"line {line}: {kind} is never closed")
    return issues


def merge_into(dst, src):
    """The chart's store.mergeInto: maps merged key by key, null removes, anything
    else replaced."""
    for key, value in (src or {}).items():
        if value is None:
            dst.pop(key, None)
        elif isinstance(value, dict) and isinstance(dst.get(key), dict):
            merge_into(dst[key], value)
        else:
            dst[key] = value
    return dst


def check_helm(repo, problems):
    chart = os.path.join(repo, "helm", "store")
    cw = "helm/store"
    meta = (load_yaml_docs(os.path.join(chart, "Chart.yaml"), problems, repo) or [{}])[0]
    if meta.get("apiVersion") != "v2":
        problems.add(f"{cw}/Chart.yaml", "apiVersion is not v2")
    if meta.get("name") != "store":
        problems.add(f"{cw}/Chart.yaml", "name is not store")
    if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", str(meta.get("version", ""))):
        problems.add(f"{cw}/Chart.yaml", "version is not SemVer")
    if not meta.get("appVersion") or str(meta.get("appVersion")) == "latest":
        problems.add(f"{cw}/Chart.yaml", "appVersion must be set to a version")
    if not os.path.isfile(os.path.join(chart, "README.md")):
        problems.add(cw, "README.md is missing")

    values = (load_yaml_docs(os.path.join(chart, "values.yaml"), problems, repo) or [{}])[0]
    vw = f"{cw}/values.yaml"
    if not (values.get("kafka") or {}).get("brokers"):
        problems.add(vw, "kafka.brokers is empty")
    if str((values.get("image") or {}).get("tag", "")) == "latest":
        problems.add(vw, "image.tag is latest")
    csc = values.get("containerSecurityContext") or {}
    psc = values.get("podSecurityContext") or {}
    expected = {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}
    for key, value in expected.items():
        if csc.get(key) is not value:
            problems.add(vw, f"containerSecurityContext.{key} is not {str(value).lower()}")
    if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
        problems.add(vw, "containerSecurityContext.capabilities.drop does not contain ALL")
    if (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.add(vw, "seccompProfile is not RuntimeDefault")
    if psc.get("runAsNonRoot") is not True:
        problems.add(vw, "podSecurityContext.runAsNonRoot is not true")

    defaults = values.get("serviceDefaults")
    services = values.get("services")
    if not isinstance(defaults, dict):
        problems.add(vw, "serviceDefaults is missing")
        defaults = {}
    if not isinstance(services, dict) or not services:
        problems.add(vw, "services is missing or empty")
        services = {}
    for name, own in services.items():
        sw = f"{vw} services.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9]*", name):
            problems.add(sw, "a service name is lower-case letters and digits")
        svc = merge_into(json.loads(json.dumps(defaults)), own or {})
        if not svc.get("enabled"):
            continue
        if not svc.get("binary"):
            problems.add(sw, "binary is not set")
        image = svc.get("image") or {}
        if not image.get("repository"):
            problems.add(sw, "image.repository is not set")
        if str(image.get("tag", "")) == "latest":
            problems.add(sw, "image.tag is latest")
        res = svc.get("resources") or {}
        for part, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
            for key in keys:
                if not (res.get(part) or {}).get(key):
                    problems.add(sw, f"resources.{part}.{key} is not set")
        ports = svc.get("ports") or {}
        if not ports:
            problems.add(sw, "ports is not set")
        for pname, port in ports.items():
            if not isinstance(port, int) or not 0 < port < 65536:
                problems.add(sw, f"ports.{pname} is not a port number")
        health = (svc.get("health") or {}).get("type")
        if health not in HEALTH_TYPES:
            problems.add(sw, f"health.type {health!r} is not one of {sorted(HEALTH_TYPES)}")
        elif health not in ports:
            problems.add(sw, f"health.type {health} needs ports.{health}")
        # The port Prometheus scrapes: `metrics` by default, the gateway's `http`.
        metrics_port = (svc.get("metrics") or {}).get("port")
        if not metrics_port:
            problems.add(sw, "metrics.port is not set (nothing to scrape)")
        elif metrics_port not in ports:
            problems.add(sw, f"metrics.port {metrics_port} is not an entry of ports (nothing to scrape)")
        secret_env = svc.get("secretEnv") or {}
        if not isinstance(secret_env, dict):
            problems.add(sw, "secretEnv is not a map of NAME: {secret, key}")
            secret_env = {}
        for var, ref in secret_env.items():
            if not isinstance(ref, dict) or not ref.get("secret"):
                problems.add(sw, f"secretEnv.{var} names no secret")
        mode = (svc.get("migrations") or {}).get("mode")
        if mode not in MIGRATION_MODES:
            problems.add(sw, f"migrations.mode {mode!r} is not one of {sorted(MIGRATION_MODES)}")
        db = svc.get("database") or {}
        if db.get("enabled", True) and not db.get("existingSecret") and not db.get("url"):
            problems.add(sw, "database: set existingSecret or url (or enabled: false)")
        if not db.get("enabled", True) and mode != "none":
            problems.add(sw, "migrations.mode must be none without a database")
        auto = svc.get("autoscaling") or {}
        if auto.get("enabled") and not (auto.get("minReplicas", 0) <= auto.get("maxReplicas", 0)):
            problems.add(sw, "autoscaling.minReplicas exceeds maxReplicas")

    tdir = os.path.join(chart, "templates")
    required = ("_helpers.tpl", "deployment.yaml", "service.yaml", "serviceaccount.yaml",
                "hpa.yaml", "pdb.yaml", "servicemonitor.yaml", "prometheusrule.yaml",
                "migration-job.yaml", "networkpolicy.yaml", "secret.yaml")
    texts = {}
    for name in sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []:
        with open(os.path.join(tdir, name), encoding="utf-8") as f:
            texts[name] = f.read()
    for name in required:
        if name not in texts:
            problems.add(f"{cw}/templates", f"{name} is missing")
    defined = set()
    for text in texts.values():
        defined.update(re.findall(r'\{\{-?\s*define\s+"([^"]+)"', text))
    for name, text in texts.items():
        tw = f"{cw}/templates/{name}"
        for issue in template_balance(text):
            problems.add(tw, issue)
        for used in re.findall(r'(?:include|template)\s+"([^"]+)"', text):
            if used not in defined:
                problems.add(tw, f'uses "{used}", which no template defines')
        if re.search(r"image:\s*\S*:latest\b", text):
            problems.add(tw, "uses a latest image tag")
        if name != "_helpers.tpl" and name.endswith(".yaml") and "store.services" in text \
                and 'include "store.services" . | fromYaml' not in text:
            problems.add(tw, "ranges over services without the store.services helper")

    dep = texts.get("deployment.yaml", "")
    for needle, what in (
            ('include "store.services"', "loop over the services"),
            ("readinessProbe:", "a readinessProbe"), ("livenessProbe:", "a livenessProbe"),
            ("startupProbe:", "a startupProbe"), ("toYaml $svc.resources", "the service's resources"),
            ("toYaml $svc.migrations.resources", "the migrate init container's resources"),
            ("toYaml $.Values.podSecurityContext", "the pod security context"),
            ('eq $svc.migrations.mode "initContainer"', "the migrate init container"),
            ("--migrate-only", "the migration command"),
            ("terminationGracePeriodSeconds", "terminationGracePeriodSeconds"),
            ("preStop", "a preStop hook")):
        if needle not in dep:
            problems.add(f"{cw}/templates/deployment.yaml", f"lacks {what} ({needle})")
    containers = len(re.findall(r"^\s*- name: (?:server|migrate)\s*$", dep, re.M))
    if dep.count("toYaml $.Values.containerSecurityContext") < max(containers, 2):
        problems.add(f"{cw}/templates/deployment.yaml",
                     "not every container gets .Values.containerSecurityContext")
    job = texts.get("migration-job.yaml", "")
    for needle in ('eq $svc.migrations.mode "job"', "pre-install,pre-upgrade", "--migrate-only",
                   "toYaml $.Values.containerSecurityContext", "toYaml $svc.migrations.resources",
                   "restartPolicy: Never"):
        if needle not in job:
            problems.add(f"{cw}/templates/migration-job.yaml", f"lacks {needle}")
    if "store.selectorLabels" in job:
        problems.add(f"{cw}/templates/migration-job.yaml",
                     "Job pods must not carry the service's selector labels")
    for name in ("servicemonitor.yaml", "networkpolicy.yaml"):
        if 'include "store.metricsPort"' not in texts.get(name, ""):
            problems.add(f"{cw}/templates/{name}", "does not use the service's metrics.port "
                                                   '(include "store.metricsPort")')
    if "networkPolicy.enabled" not in texts.get("networkpolicy.yaml", ""):
        problems.add(f"{cw}/templates/networkpolicy.yaml", "is not optional (networkPolicy.enabled)")
    helpers = texts.get("_helpers.tpl", "")
    if "store.mergeInto" not in helpers or "serviceDefaults" not in helpers:
        problems.add(f"{cw}/templates/_helpers.tpl", "store.services does not merge serviceDefaults")

    rule_text = texts.get("prometheusrule.yaml", "")
    m = re.search(r'\.Files\.Get\s+"([^"]+)"', rule_text)
    if not m:
        problems.add(f"{cw}/templates/prometheusrule.yaml", "does not read the rules with .Files.Get")
    else:
        check_same_rules(repo, os.path.join(chart, m.group(1)), problems)


def check_same_rules(repo, chart_copy, problems):
    source = os.path.join(repo, "deploy", "prometheus", "rules", "store-alerts.yml")
    if not os.path.isfile(chart_copy):
        problems.add(rel(repo, chart_copy), "is missing (link it to deploy/prometheus/rules/store-alerts.yml)")
        return
    with open(chart_copy, "rb") as a, open(source, "rb") as b:
        if a.read() != b.read():
            problems.add(rel(repo, chart_copy), "differs from deploy/prometheus/rules/store-alerts.yml")


# --- grafana ---------------------------------------------------------------------------

def panels_of(dashboard):
    for p in dashboard.get("panels") or []:
        yield p
        for inner in p.get("panels") or []:
            yield inner


PROMQL_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                   "group_right", "bool", "offset", "inf", "nan",
                   # aggregations, which may be followed by `by (...)` rather than `(`
                   "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                   "count_values", "bottomk", "topk", "quantile"}


def selectors(expr):
    """(metric, label matchers) of every vector selector in a PromQL expression.

    A small scanner, enough for the rules and dashboards here: strings, range and
    subquery brackets, grouping label lists and offsets are skipped; an identifier that
    is not a keyword and not followed by `(` is a metric name.
    """
    token = re.compile(r"""
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<matchers>\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})
      | (?P<range>\[[^\]]*\])
      | (?P<grouping>\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))
      | (?P<offset>\boffset\s+-?[0-9a-z]+)
      | (?P<number>\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)
      | (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)
      | (?P<other>.)
    """, re.S | re.X)
    found = []
    metric = None
    for m in token.finditer(expr):
        if m.lastgroup == "name":
            name = m.group("name")
            rest = expr[m.end():].lstrip()
            if name.lower() in PROMQL_KEYWORDS or rest.startswith("("):
                continue
            if rest.startswith("{"):
                metric = name
            else:
                found.append((name, ""))
        elif m.lastgroup == "matchers":
            found.append((metric or "", m.group("matchers")[1:-1]))
            metric = None
    return found


def metric_names(expr):
    return {name for name, _ in selectors(expr) if name}


def check_grafana(repo, promtool, problems):
    gdir = os.path.join(repo, "deploy", "grafana")
    files = sorted(f for f in os.listdir(gdir) if f.endswith(".json")) if os.path.isdir(gdir) else []
    if "store-overview.json" not in files:
        problems.add("deploy/grafana", "store-overview.json is missing")
    exprs = []
    for f in files:
        fw = f"deploy/grafana/{f}"
        try:
            with open(os.path.join(gdir, f), encoding="utf-8") as fh:
                d = json.load(fh)
        except ValueError as e:
            problems.add(fw, f"invalid JSON: {e}")
            continue
        if not d.get("uid") or not d.get("title"):
            problems.add(fw, "uid and title are required")
        if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
            problems.add(fw, "schemaVersion is missing or older than 36")
        variables = {v.get("name"): v for v in (d.get("templating") or {}).get("list") or []}
        service = variables.get("service")
        if not service:
            problems.add(fw, "no `service` template variable")
        else:
            q = service.get("query")
            q = q.get("query", "") if isinstance(q, dict) else str(q or "")
            if "label_values(" not in q or "grpc_server_handled_total" not in q:
                problems.add(fw, "the service variable is not label_values of grpc_server_handled_total")
        ids = set()
        panels = list(panels_of(d))
        if not [p for p in panels if p.get("type") != "row"]:
            problems.add(fw, "no panels")
        for p in panels:
            pw = f"{fw} panel {p.get('id')} {p.get('title')!r}"
            if p.get("id") in ids:
                problems.add(pw, "duplicate panel id")
            ids.add(p.get("id"))
            grid = p.get("gridPos") or {}
            if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")) \
                    or grid["x"] + grid["w"] > 24:
                problems.add(pw, "gridPos is missing or wider than 24 columns")
            if p.get("type") in ("row", "text"):
                continue
            if not p.get("title"):
                problems.add(pw, "no title")
            targets = p.get("targets") or []
            if not targets:
                problems.add(pw, "no queries")
            for t in targets:
                expr = (t.get("expr") or "").strip()
                if not expr:
                    problems.add(pw, f"query {t.get('refId')} has an empty expr")
                    continue
                if 'service=~"$service"' not in expr:
                    problems.add(pw, f"query {t.get('refId')} does not filter on $service")
                unknown = metric_names(expr) - KNOWN_METRICS
                if unknown:
                    problems.add(pw, f"query {t.get('refId')} uses unknown metrics {sorted(unknown)}")
                exprs.append((pw, t.get("refId"), expr))
    if promtool and exprs:
        check_promql(exprs, promtool, problems)


def check_promql(exprs, promtool, problems):
    """Let promtool parse every dashboard query (as recording rules)."""
    rules = []
    for i, (_, _, expr) in enumerate(exprs):
        concrete = (expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
                    .replace("$__range", "1h").replace("$service", ".+"))
        rules.append({"record": f"dashboard:query_{i}", "expr": concrete})
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
        path = f.name
    try:
        run = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if run.returncode != 0:
        output = (run.stdout + run.stderr).strip()
        bad = [int(n) for n in re.findall(r"dashboard:query_(\d+)", output)]
        for n in bad or range(len(exprs)):
            where, ref, _ = exprs[n]
            problems.add(where, f"query {ref} is not valid PromQL")
        problems.add("promtool", output.splitlines()[-1] if output else "check rules failed")


# --- rules -----------------------------------------------------------------------------

def github_anchor(heading):
    anchor = heading.strip().lower()
    anchor = re.sub(r"[^\w\- ]", "", anchor)
    return anchor.replace(" ", "-")


def check_rules(repo, problems):
    pdir = os.path.join(repo, "deploy", "prometheus")
    rules_path = os.path.join(pdir, "rules", "store-alerts.yml")
    tests_path = os.path.join(pdir, "rules", "store-alerts_test.yml")
    runbook_path = os.path.join(pdir, "RUNBOOK.md")
    rw = rel(repo, rules_path)
    docs = load_yaml_docs(rules_path, problems, repo)
    if not docs:
        problems.add(rw, "no rules")
        return
    anchors = set()
    if os.path.isfile(runbook_path):
        with open(runbook_path, encoding="utf-8") as f:
            anchors = {github_anchor(m) for m in re.findall(r"^#{1,6}\s+(.+)$", f.read(), re.M)}
    else:
        problems.add("deploy/prometheus/RUNBOOK.md", "is missing")

    alerts = []
    for group in docs[0].get("groups") or []:
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record")
            where = f"{rw} {name}"
            expr = str(rule.get("expr", ""))
            for metric, body in selectors(expr):
                if ":" not in metric and 'system="store"' not in body:
                    problems.add(where, f"selector {metric}{{{body}}} lacks system=\"store\"")
            for metric in metric_names(expr):
                if ":" not in metric and metric not in KNOWN_METRICS:
                    problems.add(where, f"unknown metric {metric}")
            if "alert" not in rule:
                continue
            alerts.append(name)
            if not re.fullmatch(r"Store[A-Z][A-Za-z]+", name):
                problems.add(where, "alert names are Store<CamelCase>")
            severity = (rule.get("labels") or {}).get("severity")
            if severity not in SEVERITIES:
                problems.add(where, f"severity {severity!r} is not one of {sorted(SEVERITIES)}")
            ann = rule.get("annotations") or {}
            for key in ("summary", "description", "runbook_url"):
                if not str(ann.get(key, "")).strip():
                    problems.add(where, f"no {key} annotation")
            url = str(ann.get("runbook_url", ""))
            m = re.fullmatch(r"deploy/prometheus/RUNBOOK\.md#([\w-]+)", url)
            if not m:
                problems.add(where, "runbook_url is not deploy/prometheus/RUNBOOK.md#<section>")
            elif m.group(1) not in anchors:
                problems.add(where, f"RUNBOOK.md has no section #{m.group(1)}")
    if len(alerts) != len(set(alerts)):
        problems.add(rw, "duplicate alert names")

    tests = (load_yaml_docs(tests_path, problems, repo) or [{}])[0]
    fired, quiet = set(), set()
    for test in tests.get("tests") or []:
        for case in test.get("alert_rule_test") or []:
            (fired if case.get("exp_alerts") else quiet).add(case.get("alertname"))
    for name in alerts:
        if name not in fired:
            problems.add(rel(repo, tests_path), f"no test expects {name} to fire")
        if name not in quiet:
            problems.add(rel(repo, tests_path), f"no test expects {name} to stay quiet")

    check_same_rules(repo, os.path.join(repo, "helm", "store", "files", "store-alerts.yml"), problems)


# --- coverage --------------------------------------------------------------------------

def check_coverage(repo, problems):
    services = service_names(repo)
    values_path = os.path.join(repo, "helm", "store", "values.yaml")
    values = (load_yaml_docs(values_path, problems, repo) or [{}])[0]
    chart_services = values.get("services") or {}
    overlay = os.path.join(repo, "deploy", "k8s", "overlays", "dev", "kustomization.yaml")
    overlay_resources = ((load_yaml_docs(overlay, problems, repo) or [{}])[0].get("resources") or [])
    for name in services:
        sw = f"services/{name}"
        own = chart_services.get(name)
        if not isinstance(own, dict):
            problems.add(sw, f"has a main.cc but helm/store/values.yaml has no services.{name}")
        elif own.get("enabled") is False:
            problems.add(sw, f"services.{name} is disabled in helm/store/values.yaml")
        if not os.path.isfile(os.path.join(repo, "deploy", "k8s", "services", name, "kustomization.yaml")):
            problems.add(sw, f"has a main.cc but deploy/k8s/services/{name}/ is missing "
                             f"(deploy/k8s/new-service.sh {name})")
        if f"../../services/{name}" not in overlay_resources:
            problems.add(sw, "is not in deploy/k8s/overlays/dev resources")
    names = ", ".join(services) if services else "none yet"
    return f"services with a main.cc: {names}"


# --- docker ----------------------------------------------------------------------------

def check_docker(repo, problems):
    path = os.path.join(repo, "deploy", "docker", "Dockerfile")
    dw = "deploy/docker/Dockerfile"
    if not os.path.isfile(path):
        problems.add(dw, "is missing")
        return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    global_args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text.split("\nFROM", 1)[0], re.M))
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    if len(froms) < 2:
        problems.add(dw, "is not a multi-stage build")
    for image in froms:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: global_args.get(m.group(1), m.group(0)), image)
        check_image(resolved, f"{dw} FROM {image}", problems)
    if froms and not re.sub(r"\$\{(\w+)\}", lambda m: global_args.get(m.group(1), ""), froms[-1]) \
            .endswith("-slim"):
        problems.add(dw, "the runtime stage is not a -slim image")
    for needle, what in ((r"^ARG SERVICE\b", "ARG SERVICE"),
                         (r"cmake --preset default", "cmake --preset default"),
                         (r'--target "?\$\{SERVICE\}"?', "cmake --build build --target ${SERVICE}"),
                         (r"^USER 65532", "USER 65532 (non-root)")):
        if not re.search(needle, text, re.M):
            problems.add(dw, f"lacks {what}")
    build_stage = text.split("\nFROM", 2)[1] if text.count("\nFROM") >= 1 else ""
    for pkg in ("libgrpc++-dev", "protobuf-compiler-grpc", "libprotobuf-dev", "protobuf-compiler",
                "libabsl-dev", "libpqxx-dev", "librdkafka-dev", "prometheus-cpp-dev",
                "libgtest-dev", "libgmock-dev", "cmake", "ninja-build", "g++", "pkg-config"):
        if not re.search(rf"(?<![\w+-]){re.escape(pkg)}(?![\w+-])", build_stage):
            problems.add(dw, f"the build stage does not install {pkg}")
    runtime_stage = text.rsplit("\nFROM", 1)[-1]
    if re.search(r"-dev\b", runtime_stage):
        problems.add(dw, "the runtime stage installs -dev packages")


# --- main ------------------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["k8s", "kustomize", "new-service", "helm", "grafana",
                                          "rules", "coverage", "docker"])
    parser.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    parser.add_argument("--promtool")
    parser.add_argument("--kubectl")
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    problems = Problems()
    note = "ok"
    if args.check == "k8s":
        check_k8s(repo, problems)
    elif args.check == "kustomize":
        if not args.kubectl:
            parser.error("kustomize needs --kubectl")
        check_kustomize(repo, args.kubectl, problems)
    elif args.check == "new-service":
        check_new_service(repo, args.kubectl, problems)
    elif args.check == "helm":
        check_helm(repo, problems)
    elif args.check == "grafana":
        check_grafana(repo, args.promtool, problems)
        if not args.promtool:
            note = "ok (queries not parsed: no promtool)"
    elif args.check == "rules":
        check_rules(repo, problems)
    elif args.check == "coverage":
        note = check_coverage(repo, problems)
    elif args.check == "docker":
        check_docker(repo, problems)
    return problems.report(args.check, note)


if __name__ == "__main__":
    sys.exit(main())
