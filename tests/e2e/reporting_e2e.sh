#!/usr/bin/env bash
# End to end: reports from the other services' events, through the gateway,
# on the real local stack.
#
#   1. `tools/dev up` on a private stack (no demo data);
#   2. through the gateway with a staff token: place order A (2 x 12.50, 10%
#      off, 5.00 delivery, 20% tax), pay it, refund 10.00 of it; place order B
#      and cancel it before payment (never counted);
#   3. within seconds the sales report for today shows 1 order, its gross,
#      discounts, the 10.00 return, net = gross - discounts - returns; the
#      products report sums to the same net sales; the sales and products CSV
#      exports say the same; the drill-down lists exactly order A; the chart
#      is an SVG and a PNG;
#   4. a marketing token reads the customers report but not the sales report
#      (403); a bad range is a 400 naming the field;
#   5. `storectl reporting rebuild` replays every topic into shadow tables,
#      finds them equal to the live ones, swaps them in; the report after it
#      is the same;
#   6. `tools/dev down`, and no process of the stack is left.
# Every wait is a deadline loop (E2E_EVENT_DEADLINE_S, default 60 s).
#
# Needs: STORE_REPO_ROOT (set by ctest; else derived from this file's path),
# STORE_BUILD_DIR (default $STORE_REPO_ROOT/build), python3, curl.
set -euo pipefail
shopt -s inherit_errexit

REPO="${STORE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
BUILD_DIR="${STORE_BUILD_DIR:-$REPO/build}"
STORECTL="$BUILD_DIR/bin/storectl"
DEADLINE_S="${E2E_EVENT_DEADLINE_S:-60}"

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

[[ -x "$STORECTL" ]] || fail "$STORECTL not built"
[[ -x "$BUILD_DIR/bin/reporting-service" ]] || fail "$BUILD_DIR/bin/reporting-service not built"
command -v curl >/dev/null || fail "curl is not installed (tools/dev deps)"

e2e_private_stack
E2E_LOG_SERVICES=(order reporting gateway)
WORK="$(mktemp -d /tmp/store-e2e-files.XXXXXX)"
E2E_CLEANUP_DIRS=("$WORK")

e2e_up
# shellcheck disable=SC1091
source "$DEV_HOME/env"
for var in GATEWAY_URL STAFF_TOKEN GATEWAY_JWT_SECRET_FILE REPORTING_SERVICE_ADDR; do
  [[ -n "${!var:-}" ]] || fail "$var is not in $DEV_HOME/env"
done
STAFF="$(auth "$STAFF_TOKEN")"
# The store's time zone is UTC in the dev stack: today is today in UTC.
TODAY="$(date -u +%F)"
RANGE="range.startDate=$TODAY&range.endDate=$TODAY"

place() {
  http POST /v1/orders "{
    \"requestId\": \"$(python3 -c 'import uuid; print(uuid.uuid4())')\",
    \"currencyCode\": \"USD\",
    \"customer\": {\"email\": \"$1@e2e.example.com\", \"name\": \"Reporting Buyer\"},
    \"items\": [{\"sku\": \"MUG\", \"name\": \"Mug\", \"quantity\": 2,
                 \"unitPrice\": {\"amountMinor\": \"1250\", \"currencyCode\": \"USD\"},
                 \"taxRateBp\": 2000}],
    \"discounts\": [{\"code\": \"TEN\", \"percentBp\": 1000}],
    \"shippingAddress\": {\"name\": \"Reporting Buyer\", \"line1\": \"1 Main St\",
                          \"city\": \"Springfield\", \"postalCode\": \"12345\", \"countryCode\": \"US\"},
    \"deliveryMethod\": {\"code\": \"standard\", \"fee\": {\"amountMinor\": \"500\", \"currencyCode\": \"USD\"}},
    \"paymentMethod\": \"PAYMENT_METHOD_CARD\"
  }" -H "$STAFF"
  expect 200 "place order $1"
  printf '%s' "$BODY"
}

step "place, pay and refund order A; place and cancel order B (through the gateway)"
ORDER_A="$(place alice)"
A_ID="$(json_get id <<<"$ORDER_A")"
A_NUMBER="$(json_get number <<<"$ORDER_A")"
A_TOTAL="$(json_get totals.total.amountMinor <<<"$ORDER_A")"
http POST "/v1/orders/$A_ID/payments" "{\"provider\": \"stripe\", \"reference\": \"e2e-a\",
  \"amount\": {\"amountMinor\": \"$A_TOTAL\", \"currencyCode\": \"USD\"},
  \"outcome\": \"PAYMENT_OUTCOME_SUCCEEDED\"}" -H "$STAFF"
expect 200 "pay order A"
http POST "/v1/orders/$A_ID:refund" "{\"requestId\": \"$(python3 -c 'import uuid; print(uuid.uuid4())')\",
  \"amount\": {\"amountMinor\": \"1000\", \"currencyCode\": \"USD\"}, \"reason\": \"damaged\"}" -H "$STAFF"
expect 200 "refund order A"
ORDER_B="$(place bob)"
B_ID="$(json_get id <<<"$ORDER_B")"
http POST "/v1/orders/$B_ID:cancel" '{"reason": "changed mind"}' -H "$STAFF"
expect 200 "cancel order B"

step "the sales report reflects them within seconds"
# gross 2500, discounts 250, returns 1000, net 1250
deadline=$(($(date +%s) + DEADLINE_S))
until http GET "/v1/reports/sales?$RANGE" "" -H "$STAFF" && [[ "$CODE" == 200 ]] &&
  [[ "$(json_get totals.returns.amountMinor <<<"$BODY")" == 1000 ]]; do
  (($(date +%s) < deadline)) || fail "the sales report did not show the refund within ${DEADLINE_S}s: $CODE $BODY"
  sleep 0.5
done
SALES="$BODY"
python3 - "$SALES" "$A_TOTAL" <<'PY' || fail "sales report: $SALES"
import json, sys
r, a_total = json.loads(sys.argv[1]), int(sys.argv[2])
t = r["totals"]
m = lambda k: int(t[k]["amountMinor"])
assert int(t["orders"]) == 1, t
assert m("grossSales") == 2500 and m("discounts") == 250 and m("returns") == 1000, t
assert m("netSales") == 1250, t
assert m("totalSales") == m("netSales") + m("shipping") + m("taxes"), t
assert m("totalSales") == a_total - 1000, (t, a_total)
assert len(r["buckets"]) == 1 and r["buckets"][0]["bucket"]["startDate"], r["buckets"]
statuses = {row["key"] for row in r.get("byStatus", [])}
assert "CANCELLED" not in statuses, statuses
PY

step "the products report and both CSV exports agree with it"
http GET "/v1/reports/products?$RANGE" "" -H "$STAFF"
expect 200 "products report"
PRODUCTS="$BODY"
curl -sS -o "$WORK/sales.csv" -D "$WORK/sales.h" -H "$STAFF" "$GATEWAY_URL/v1/reports/sales:export?$RANGE"
curl -sS -o "$WORK/products.csv" -H "$STAFF" "$GATEWAY_URL/v1/reports/products:export?$RANGE"
grep -qi '^content-type: text/csv' "$WORK/sales.h" || fail "sales CSV content type: $(cat "$WORK/sales.h")"
python3 - "$SALES" "$PRODUCTS" "$WORK/sales.csv" "$WORK/products.csv" <<'PY' || fail "the reports disagree"
import csv, json, sys
from decimal import Decimal
sales, products = json.loads(sys.argv[1]), json.loads(sys.argv[2])
net = int(sales["totals"]["netSales"]["amountMinor"])
assert sum(int(p["netSales"]["amountMinor"]) for p in products["products"]) == net, products
assert int(products["totals"]["netSales"]["amountMinor"]) == net, products
rows = list(csv.DictReader(open(sys.argv[3], newline="")))
total = [r for r in rows if r["bucket_start"] == "total"][0]
assert Decimal(total["net_sales"]) * 100 == net and total["currency"] == "USD", total
prows = list(csv.DictReader(open(sys.argv[4], newline="")))
assert sum(Decimal(r["net_sales"]) for r in prows) * 100 == net, prows
assert prows[0]["sku"] == "MUG" and prows[0]["units_refunded"] == "0", prows
print(f"net sales {net} in the report, the products report and both CSVs")
PY

step "the drill-down lists exactly order A; returns list it too"
http GET "/v1/reports/orders?$RANGE" "" -H "$STAFF"
expect 200 "drill-down"
[[ "$(python3 -c 'import json,sys; print(",".join(o["orderId"] for o in json.load(sys.stdin).get("orders", [])))' <<<"$BODY")" == "$A_ID" ]] ||
  fail "drill-down: $BODY"
http GET "/v1/reports/orders?$RANGE&figure=DRILL_DOWN_REFUNDED" "" -H "$STAFF"
expect 200 "drill-down of returns"
[[ "$(json_get totalSize <<<"$BODY")" == 1 ]] || fail "refunded drill-down: $BODY"

step "charts: SVG and PNG"
curl -sS -o "$WORK/chart.svg" -D "$WORK/chart.h" -H "$STAFF" "$GATEWAY_URL/v1/reports/sales:chart?$RANGE"
grep -qi '^content-type: image/svg+xml' "$WORK/chart.h" || fail "chart content type: $(cat "$WORK/chart.h")"
grep -q '<svg' "$WORK/chart.svg" || fail "the chart is no SVG"
curl -sS -o "$WORK/chart.png" -D "$WORK/png.h" -H "$STAFF" "$GATEWAY_URL/v1/reports/sales:chart?$RANGE&format=CHART_FORMAT_PNG&metric=orders"
grep -qi '^content-type: image/png' "$WORK/png.h" || fail "PNG content type: $(cat "$WORK/png.h")"
[[ "$(head -c 4 "$WORK/chart.png" | od -An -c | tr -d ' ')" == '211PNG' ]] || fail "the chart is no PNG"

step "marketing reads the customers report, not the sales report; a bad range is a 400"
MARKETING="$(auth "$("$STORECTL" token issue --role marketing --subject e2e-marketing --ttl 1h)")"
http GET "/v1/reports/customers?$RANGE" "" -H "$MARKETING"
expect 200 "customers report for marketing"
[[ "$(json_get periods <<<"$BODY")" != "" ]] || fail "customers report: $BODY"
http GET "/v1/reports/sales?$RANGE" "" -H "$MARKETING"
expect 403 "sales report for marketing"
http GET "/v1/reports/sales?range.startDate=$TODAY&range.endDate=2000-01-01" "" -H "$STAFF"
expect 400 "a range that ends before it starts"
[[ "$BODY" == *range.end_date* ]] || fail "the error does not name the field: $BODY"

step "storectl reporting rebuild: replay, compare, swap"
"$STORECTL" reporting rebuild >"$WORK/rebuild.out" 2>&1 || fail "rebuild failed: $(cat "$WORK/rebuild.out")"
tail -n 9 "$WORK/rebuild.out"
grep -q "rebuild_state_done\|: done" "$WORK/rebuild.out" || fail "the rebuild did not finish: $(cat "$WORK/rebuild.out")"
if grep -q DIFFERENT "$WORK/rebuild.out"; then fail "shadow differs from live: $(cat "$WORK/rebuild.out")"; fi
http GET "/v1/reports/sales?$RANGE" "" -H "$STAFF"
expect 200 "sales after the rebuild"
python3 - "$SALES" "$BODY" <<'PY' || fail "the rebuilt report differs"
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert a["totals"] == b["totals"], (a["totals"], b["totals"])
PY

step "tools/dev down"
e2e_stack_down
step "passed (order A #$A_NUMBER)"
