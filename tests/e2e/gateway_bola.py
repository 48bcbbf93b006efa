#!/usr/bin/env python3
"""SEC-1, generated from the gateway's own OpenAPI document (that is, from the
route annotations): customer A's token against every route open to customers,
aimed at customer B's resources, must answer 404 -- never 403, never data.
A new customer route is covered without touching this file; a route with a
path variable this file cannot fill with B's resource fails the test, so the
matrix cannot silently skip it.

As a control, B's own token on the same GET routes does not get 404, so the
404s are about ownership, not about bad requests.

The storefront server's service token (when given) against every route, B's
ids filled in: 403 ROLE_NOT_ALLOWED on each route whose roles do not list
`storefront` (it prices carts and places orders, it does not run the back
office or read customers' data), and never 401/403 on the routes that do.

usage: gateway_bola.py GATEWAY_URL TOKEN_A TOKEN_B RESOURCES_JSON [STOREFRONT_TOKEN]
RESOURCES_JSON: {"customer": B's id, "order": ..., "invoice": ..., "address": ..., "cart": ...}
"""
import json
import sys
import time
import urllib.error
import urllib.request

url, token_a, token_b, resources = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
token_storefront = sys.argv[5] if len(sys.argv) > 5 else None


def call(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    for _ in range(10):
        req = urllib.request.Request(url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            if e.code != 429:
                return e.code, e.read()
            # The per-address limit of the dev stack: wait as told, then retry.
            time.sleep(float(e.headers.get("Retry-After", "1")))
    return 429, b"still rate limited after 10 tries"


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
    if leaf == "cart_id" or var == "cart.id" or (path.startswith("/v1/carts/") and leaf == "id"):
        return resources["cart"]
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
            # The request field a path variable fills (x-field): one path
            # shape names its variables alike across routes ({id} for both
            # `id` and `customer.id`).
            field = param.get("x-field", param["name"])
            value = resource_for(template, field)
            if value is None:
                failures.append(f"{method.upper()} {template}: no resource of B for {{{param['name']}}} ({field}); teach gateway_bola.py")
                continue
            path = path.replace("{" + param["name"] + "}", value)
            bound.add(field)
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

if token_storefront:
    refused, admitted = 0, 0
    for template, item in sorted(doc["paths"].items()):
        for method, op in sorted(item.items()):
            roles = op.get("x-roles", [])
            if "public" in roles:
                continue
            path = template
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    path = path.replace("{" + param["name"] + "}", resource_for(template, param["name"]) or "x")
            body = {} if "requestBody" in op else None
            status, payload = call(method.upper(), path, token_storefront, body)
            if "storefront" in roles:
                admitted += 1
                if status in (401, 403):
                    failures.append(f"{method.upper()} {path} lists storefront but its token got {status} {payload[:200]!r}")
            else:
                refused += 1
                if status != 403 or b"ROLE_NOT_ALLOWED" not in payload:
                    failures.append(f"{method.upper()} {path} with the storefront token: {status} {payload[:200]!r}")
    print(f"storefront matrix: {refused} routes refused, {admitted} admitted")
    if refused < 20 or admitted < 1:
        failures.append(f"storefront matrix too small: {refused} refused, {admitted} admitted")
if checked < 10:
    failures.append(f"only {checked} routes checked")
if failures:
    print("\n".join("FAIL: " + f for f in failures), file=sys.stderr)
    sys.exit(1)
