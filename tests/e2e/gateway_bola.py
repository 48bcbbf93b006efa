#!/usr/bin/env python3
"""SEC-1, generated from the gateway's own OpenAPI document (that is, from the
route annotations): customer A's token against every route open to customers,
aimed at customer B's resources, must answer 404 -- never 403, never data.
A new customer route is covered without touching this file; a route with a
path variable this file cannot fill with B's resource fails the test, so the
matrix cannot silently skip it.

As a control, B's own token on the same GET routes does not get 404, so the
404s are about ownership, not about bad requests.

usage: gateway_bola.py GATEWAY_URL TOKEN_A TOKEN_B RESOURCES_JSON
RESOURCES_JSON: {"customer": B's id, "order": ..., "invoice": ..., "address": ...}
"""
import json
import sys
import urllib.error
import urllib.request

url, token_a, token_b, resources = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])


def call(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def resource_for(path, var):
    """Which of B's resources a path variable names."""
    leaf = var.split(".")[-1]
    if leaf == "address_id":
        return resources["address"]
    if leaf == "customer_id" or var == "customer.id" or (path.startswith("/v1/customers/") and leaf == "id"):
        return resources["customer"]
    if leaf == "order_id" or (path.startswith("/v1/orders/") and leaf == "id"):
        return resources["order"]
    if leaf == "invoice_id" or (path.startswith("/v1/invoices/") and leaf == "id"):
        return resources["invoice"]
    return None


def nest(body, dotted, value):
    parts = dotted.split(".")
    for p in parts[:-1]:
        body = body.setdefault(to_camel(p), {})
    body[to_camel(parts[-1])] = value


def to_camel(name):
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


with urllib.request.urlopen(url + "/v1/openapi.json", timeout=30) as resp:
    doc = json.load(resp)

checked, failures, controls = 0, [], 0
for template, item in sorted(doc["paths"].items()):
    for method, op in sorted(item.items()):
        if "customer" not in op.get("x-roles", []):
            continue
        path, bound = template, set()
        for param in op.get("parameters", []):
            if param["in"] != "path":
                continue
            value = resource_for(template, param["name"])
            if value is None:
                failures.append(f"{method.upper()} {template}: no resource of B for {{{param['name']}}}; teach gateway_bola.py")
                continue
            path = path.replace("{" + param["name"] + "}", value)
            bound.add(param["name"])
        owner = op.get("x-owner-field")
        body = {} if "requestBody" in op else None
        if owner and owner not in bound:
            if body is not None:
                nest(body, owner, resources["customer"])
            else:
                path += ("&" if "?" in path else "?") + owner + "=" + resources["customer"]
        if not bound and not owner:
            failures.append(f"{method.upper()} {template}: open to customers but addresses nothing of theirs")
            continue
        status, payload = call(method.upper(), path, token_a, body)
        checked += 1
        if status != 404:
            failures.append(f"{method.upper()} {path} with A's token: {status} {payload[:200]!r}")
        if method == "get":
            status_b, payload_b = call("GET", path, token_b)
            controls += 1
            if status_b == 404:
                failures.append(f"control: GET {path} with B's own token: 404 {payload_b[:200]!r}")

print(f"BOLA matrix: {checked} customer routes with B's ids under A's token, {controls} controls with B's token")
if checked < 10:
    failures.append(f"only {checked} routes checked")
if failures:
    print("\n".join("FAIL: " + f for f in failures), file=sys.stderr)
    sys.exit(1)
