#!/usr/bin/env bash
# ops.docs_page: the gateway's GET /docs, opened in a real browser (Debian's
# headless Chromium). Starts the gateway alone (its backends need not run: the
# page and /v1/openapi.json are the gateway's own), checks that Swagger UI's
# files come from the gateway itself (no CDN: this works offline), waits for the
# operations to render, and checks that PlaceOrder is listed. Keeps a
# screenshot as the test's artifact: WORK/docs.png.
#
# usage: docs_page.sh BIN_DIR WORK
set -euo pipefail
bin_dir="$1"
work="$2"
rm -rf "$work" && mkdir -p "$work"
chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
[[ -n "$chromium_bin" ]] || { echo "chromium not found (apt-get install chromium)"; exit 77; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
head -c 48 /dev/urandom | base64 >"$work/jwt"
head -c 24 /dev/urandom | base64 >"$work/payments"
vars=(GATEWAY_LISTEN="127.0.0.1:$port" GATEWAY_JWT_SECRET_FILE="$work/jwt"
      GATEWAY_SIGNING_SECRET_PAYMENTS_FILE="$work/payments" LOG_FORMAT=text)
for svc in CUSTOMER ORDER INVOICING NEWSLETTER REPORTING; do
  vars+=("${svc}_SERVICE_ADDR=127.0.0.1:9")
done
env "${vars[@]}" "$bin_dir/gateway" >"$work/gateway.log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null || true; wait "$gateway" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$gateway" 2>/dev/null || { cat "$work/gateway.log" >&2; exit 1; }
  sleep 0.1
done

fail() { echo "FAIL: $*" >&2; exit 1; }
page_type="$(curl -sS -o "$work/docs.html" -w '%{http_code} %{content_type}' "$url/docs")"
[[ "$page_type" == "200 text/html"* ]] || fail "GET /docs: $page_type"
for asset in swagger-ui-bundle.js swagger-ui.css; do
  grep -q "/docs/$asset" "$work/docs.html" || fail "/docs does not load /docs/$asset"
  code="$(curl -sS -o /dev/null -w '%{http_code}' "$url/docs/$asset")"
  [[ "$code" == 200 ]] || fail "GET /docs/$asset: $code"
done
if grep -Eo '(src|href)="https?://[^"]*' "$work/docs.html"; then
  fail "/docs loads files from another host (above); it must work offline"
fi
echo "GET /docs, its two files and /v1/openapi.json from the gateway itself"

# The browser: no network but loopback, its own profile, bounded in time.
# --virtual-time-budget lets the page's scripts run (fetch the document,
# render) before the DOM is dumped.
browse() {
  timeout 90 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --disable-extensions --disable-background-networking \
    --user-data-dir="$work/profile" --virtual-time-budget=20000 "$@" 2>>"$work/chromium.log"
}
# Swagger UI renders the tags that come into view: a window tall enough for
# every operation makes it render them all.
browse --window-size=1280,40000 --dump-dom "$url/docs" >"$work/dom.html" ||
  fail "chromium failed (see $work/chromium.log)"
grep -q 'opblock-summary-path' "$work/dom.html" ||
  fail "no operation rendered on /docs (DOM in $work/dom.html)"
grep -q 'data-path="/v1/orders"' "$work/dom.html" || fail "/v1/orders is not listed on /docs"
grep -q 'Place order' "$work/dom.html" || fail "PlaceOrder's summary (Place order) is not on /docs"
operations="$(grep -o 'class="opblock-summary-path"' "$work/dom.html" | wc -l)"
expected="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(v) for v in d["paths"].values()))' \
  <(curl -sS "$url/v1/openapi.json"))"
((operations == expected)) || fail "/docs renders $operations operations, the document has $expected"
echo "chromium rendered /docs: $operations operations (all of the document), PlaceOrder among them"

browse --screenshot="$work/docs.png" --window-size=1280,1600 "$url/docs" >/dev/null ||
  fail "chromium could not take a screenshot"
[[ -s "$work/docs.png" ]] || fail "no screenshot"
echo "screenshot: $work/docs.png"
