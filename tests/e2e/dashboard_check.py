#!/usr/bin/env python3
"""Evaluates every query of every Grafana dashboard in deploy/grafana against a
running Prometheus and fails on any that returns no series: a panel that
shows nothing is a bug (a metric renamed, a label that no target carries, a
selector that matches nothing). Dashboard variables are given values that
match every service ($service -> .+) and Grafana's interval macros sensible
ones. Also checks that Prometheus loaded the repo's alert rules and scrapes
every target.

usage: dashboard_check.py PROMETHEUS_URL DASHBOARD_JSON... [--expect-targets N]
"""
import json
import sys
import urllib.parse
import urllib.request

args = sys.argv[1:]
expect_targets = None
if "--expect-targets" in args:
    i = args.index("--expect-targets")
    expect_targets = int(args[i + 1])
    del args[i:i + 2]
url, files = args[0], args[1:]

MACROS = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "5m",
    "${__rate_interval}": "1m",
}


def get(path, **params):
    q = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}{path}?{q}", timeout=30) as resp:
        body = json.load(resp)
    if body.get("status") != "success":
        raise RuntimeError(f"{path}: {body}")
    return body["data"]


def expand(expr):
    for k, v in MACROS.items():
        expr = expr.replace(k, v)
    return expr.replace('=~"$service"', '=~".+"').replace("$service", ".+")


def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


failures, checked = [], 0
for f in files:
    with open(f) as fh:
        dash = json.load(fh)
    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            expr = t.get("expr")
            if not expr:
                continue
            checked += 1
            try:
                result = get("/api/v1/query", query=expand(expr))["result"]
            except Exception as e:  # noqa: BLE001 - report every bad query
                failures.append(f"{f}: panel {p['id']} '{p['title']}': {e}")
                continue
            if not result:
                failures.append(f"{f}: panel {p['id']} '{p['title']}' shows nothing: {expr}")

groups = get("/api/v1/rules")["groups"]
rules = sum(len(g["rules"]) for g in groups)
if rules == 0:
    failures.append("Prometheus has no alert rules loaded")
targets = get("/api/v1/targets")["activeTargets"]
down = [t["scrapeUrl"] + " " + t.get("lastError", "") for t in targets if t["health"] != "up"]
if down:
    failures.append(f"targets not up: {down}")
if expect_targets is not None and len(targets) != expect_targets:
    failures.append(f"{len(targets)} targets, expected {expect_targets}")
print(f"dashboard: {checked} queries evaluated, {checked - len([x for x in failures if 'panel' in x])} with series; "
      f"{rules} alert rules loaded; {len(targets)} targets up")
if failures:
    print("\n".join("FAIL: " + x for x in failures), file=sys.stderr)
    sys.exit(1)
