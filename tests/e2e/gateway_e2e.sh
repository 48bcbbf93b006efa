#!/usr/bin/env bash
# End to end through the gateway with curl, against the real local stack:
#
#   1. `tools/dev up` on a private stack (customer, order, invoicing and the
#      gateway; no demo data); GATEWAY_URL and STAFF_TOKEN from its env file;
#   2. two customers register (public route) and log in (customer tokens);
#   3. B's token (and no token) cannot place an order priced by B (403/401,
#      nothing stored); the storefront server's token places B's order; a payment provider's webhook,
#      HMAC-signed with `storectl webhook sign`, records the payment (the
#      order becomes paid), a wrong signature is 401 and changes nothing, a
#      replay of a 10-minute-old signature is 401; the invoice is issued;
#      B adds an address;
#   4. the BOLA matrix (gateway_bola.py, generated from /v1/openapi.json):
#      A's token against every customer route with B's ids -> 404; the
#      storefront token against every route it is not listed on -> 403;
#   5. mass assignment: A's PATCH of their profile with purchase facts, a
#      wallet balance and a group in the body changes none of them, and
#      a mask naming group_id is refused (400 naming update_mask);
#   6. downloads: B fetches their invoice PDF (application/pdf, %PDF),
#      staff export the invoices as CSV (chunked), A gets 404 for B's PDF;
#   7. the seeds' morning (ORD-09, ORD-16): three orders paid by one bulk
#      job, the processing filter, a dry run of shipping from a tracking CSV
#      (an unknown number fails, nothing changes; a bad row is 400 naming its
#      line), the ship job (a retry is the same job), its results CSV, the
#      history naming the job, one PDF of packing slips, ordered products;
#   8. roles: a marketing or storefront token cannot cancel B's order (403);
#   9. /metrics counts the requests by route template; `tools/dev down`
#      leaves no process behind.
# Every wait is a deadline loop (E2E_EVENT_DEADLINE_S, default 60 s).
set -euo pipefail
shopt -s inherit_errexit

REPO="${STORE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
BUILD_DIR="${STORE_BUILD_DIR:-$REPO/build}"
STORECTL="$BUILD_DIR/bin/storectl"
DEADLINE_S="${E2E_EVENT_DEADLINE_S:-60}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$HERE/e2e_lib.sh"

e2e_private_stack
E2E_LOG_SERVICES=(gateway customer order invoicing)
e2e_up
# shellcheck disable=SC1091
source "$DEV_HOME/env"
[[ -n "${GATEWAY_URL:-}" && -n "${STAFF_TOKEN:-}" ]] || fail "GATEWAY_URL / STAFF_TOKEN missing from the env file"


step "customers register and log in"
for who in a b; do
  http POST /v1/customers:register "{\"email\":\"$who@e2e.example.com\",\"name\":\"Customer ${who^^}\",\"password\":\"password-$who-123\"}"
  expect 200 "register $who"
  http POST /v1/auth/login "{\"email\":\"$who@e2e.example.com\",\"password\":\"password-$who-123\"}"
  expect 200 "login $who"
  printf -v "TOKEN_${who^^}" '%s' "$(json_get accessToken <<<"$BODY")"
  printf -v "ID_${who^^}" '%s' "$(json_get customerId <<<"$BODY")"
done
http POST /v1/auth/login '{"email":"a@e2e.example.com","password":"wrong-password"}'
expect 401 "login with a wrong password"

step "an empty list is [] with every key present (B has no orders yet; camelCase query names)"
http GET "/v1/orders?filter.customerId=$ID_B&pageSize=5" "" -H "$(auth "$TOKEN_B")"
expect 200 "B lists their orders"
[[ "$BODY" == '{"orders":[],"nextPageToken":""'* ]] || fail "B's empty order list: $BODY"

step "price authority: a customer token cannot set its own prices (ORD-18)"
http GET "/v1/orders?page_size=100" "" -H "$(auth "$STAFF_TOKEN")"
ORDERS_BEFORE="$(python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("orders",[])))' <<<"$BODY")"
SELF_PRICED="{\"currencyCode\":\"USD\",\"customer\":{\"customerId\":\"$ID_B\",\"email\":\"b@e2e.example.com\"},
  \"items\":[{\"sku\":\"MUG-1\",\"name\":\"Mug\",\"quantity\":1,\"unitPrice\":{\"amountMinor\":\"1\",\"currencyCode\":\"USD\"}}],
  \"discounts\":[{\"code\":\"SELF\",\"percentBp\":10000}]}"
http POST /v1/orders "$SELF_PRICED" -H "$(auth "$TOKEN_B")"
expect 403 "B places an order priced by B"
http POST /v1/orders "$SELF_PRICED"
expect 401 "an anonymous caller places a self-priced order"
http GET "/v1/orders?page_size=100" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("orders",[])))' <<<"$BODY")" == "$ORDERS_BEFORE" ]] ||
  fail "a refused self-priced order was stored: $BODY"

step "the storefront server places B's order through the gateway"
STOREFRONT_TOKEN="$("$STORECTL" token issue --role storefront --subject web-shop --ttl 1h)"
ORDER_BODY="{\"currencyCode\":\"USD\",\"customer\":{\"customerId\":\"$ID_B\",\"email\":\"b@e2e.example.com\",\"name\":\"Customer B\"},
  \"items\":[{\"sku\":\"MUG-1\",\"name\":\"Mug\",\"quantity\":2,\"unitPrice\":{\"amountMinor\":\"1250\",\"currencyCode\":\"USD\"},\"taxRateBp\":0}],
  \"shippingAddress\":{\"name\":\"Customer B\",\"line1\":\"1 Main St\",\"city\":\"Springfield\",\"postalCode\":\"12345\",\"countryCode\":\"US\"},
  \"paymentMethod\":\"PAYMENT_METHOD_CARD\",
  \"deliveryMethod\":{\"code\":\"standard\",\"name\":\"Standard\",\"fee\":{\"amountMinor\":\"500\",\"currencyCode\":\"USD\"}}}"
KEY="$(cat /proc/sys/kernel/random/uuid)"
http POST /v1/orders "$ORDER_BODY" -H "$(auth "$STOREFRONT_TOKEN")" -H "Idempotency-Key: $KEY"
expect 200 "the storefront places B's order"
ORDER_B="$(json_get id <<<"$BODY")"
[[ "$(json_get customer.customerId <<<"$BODY")" == "$ID_B" ]] || fail "the order is not B's: $BODY"
TOTAL="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["total"]["amountMinor"])' <<<"$BODY")"
http POST /v1/orders "$ORDER_BODY" -H "$(auth "$STOREFRONT_TOKEN")" -H "Idempotency-Key: $KEY"
[[ "$(json_get id <<<"$BODY")" == "$ORDER_B" ]] || fail "the same Idempotency-Key created another order"

step "payment webhook: signed, wrong signature, replay"
PAYMENT="{\"orderId\":\"$ORDER_B\",\"provider\":\"testpay\",\"reference\":\"tp_$ORDER_B\",\"amount\":{\"amountMinor\":\"$TOTAL\",\"currencyCode\":\"USD\"},\"outcome\":\"PAYMENT_OUTCOME_SUCCEEDED\"}"
http POST /v1/webhooks/payments "$PAYMENT" -H "Store-Signature: t=$(date +%s),v1=$(printf '%064d' 0)"
expect 401 "webhook with a wrong signature"
OLD_SIG="t=$(($(date +%s) - 600)),v1=$(python3 -c 'import hmac,hashlib,sys; t=sys.argv[3]; print(hmac.new(open(sys.argv[1]).read().strip().encode(), (t+"."+sys.argv[2]).encode(), hashlib.sha256).hexdigest())' "$PAYMENTS_WEBHOOK_SECRET_FILE" "$PAYMENT" "$(($(date +%s) - 600))")"
http POST /v1/webhooks/payments "$PAYMENT" -H "Store-Signature: $OLD_SIG"
expect 401 "replayed webhook (10 minutes old)"
http GET "/v1/orders/$ORDER_B" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(json_get status <<<"$BODY")" == ORDER_STATUS_PENDING ]] || fail "a refused webhook changed the order: $BODY"
SIG="$("$STORECTL" webhook sign --body "$PAYMENT")"
http POST /v1/webhooks/payments "$PAYMENT" -H "Store-Signature: $SIG"
expect 200 "signed webhook"
http GET "/v1/orders/$ORDER_B" "" -H "$(auth "$TOKEN_B")"
expect 200 "B reads their order"
[[ "$(json_get status <<<"$BODY")" == ORDER_STATUS_PROCESSING ]] || fail "the order is not paid after the webhook: $BODY"

step "B's invoice is issued; B adds an address"
INVOICE_B=""
deadline=$(($(date +%s) + DEADLINE_S))
while [[ -z "$INVOICE_B" ]]; do
  http GET "/v1/invoices" "" -H "$(auth "$TOKEN_B")"
  INVOICE_B="$(python3 -c 'import json,sys; v=json.load(sys.stdin).get("invoices",[]); print(v[0]["id"] if v else "")' <<<"$BODY")"
  [[ -n "$INVOICE_B" ]] && break
  (($(date +%s) < deadline)) || fail "no invoice for B's paid order within ${DEADLINE_S}s: $BODY"
  sleep 0.2
done
http POST "/v1/customers/$ID_B/addresses" '{"address":{"name":"Customer B","line1":"2 Side St","city":"Springfield","postalCode":"12345","countryCode":"US"}}' -H "$(auth "$TOKEN_B")"
expect 200 "B adds an address"
ADDRESS_B="$(json_get id <<<"$BODY")"
http POST /v1/carts "{\"customerId\":\"$ID_B\",\"lines\":[{\"sku\":\"MUG-1\",\"name\":\"Mug\",\"quantity\":1,\"unitPrice\":{\"amountMinor\":\"1250\"}}]}" \
  -H "$(auth "$STOREFRONT_TOKEN")" -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)"
expect 200 "the storefront creates B's cart"
CART_B="$(json_get id <<<"$BODY")"

step "BOLA matrix: A's token against every customer route with B's ids; the storefront token against every route"
python3 "$HERE/gateway_bola.py" "$GATEWAY_URL" "$TOKEN_A" "$TOKEN_B" \
  "{\"customer\":\"$ID_B\",\"order\":\"$ORDER_B\",\"invoice\":\"$INVOICE_B\",\"address\":\"$ADDRESS_B\",\"cart\":\"$CART_B\"}" "$STOREFRONT_TOKEN" ||
  fail "BOLA matrix"

step "mass assignment: server-owned fields in A's profile update"
http PATCH "/v1/customers/$ID_A?update_mask=name" '{"name":"Ann A","facts":{"ordersCount":"99","totalSpent":{"amountMinor":"999999","currencyCode":"USD"}},"walletBalance":{"amountMinor":"100000","currencyCode":"USD"},"state":"ACCOUNT_STATE_ACTIVE","groupId":"00000000-0000-0000-0000-000000000000"}' -H "$(auth "$TOKEN_A")"
expect 200 "A updates their name"
http PATCH "/v1/customers/$ID_A?update_mask=name,group_id" '{"name":"Ann A","groupId":"00000000-0000-0000-0000-000000000000"}' -H "$(auth "$TOKEN_A")"
expect 400 "A's mask naming group_id"
[[ "$(json_get field <<<"$BODY")" == update_mask ]] || fail "the 400 does not name update_mask: $BODY"
http GET "/v1/customers/$ID_A" "" -H "$(auth "$TOKEN_A")"
python3 - "$BODY" <<'PY' || fail "server-owned fields changed: $BODY"
import json, sys
c = json.loads(sys.argv[1])
assert c["name"] == "Ann A", c
assert str(c.get("facts", {}).get("ordersCount", "0")) == "0", c
assert c.get("walletBalance", {}).get("amountMinor", "0") in ("0", 0), c
assert c.get("groupId") != "00000000-0000-0000-0000-000000000000", c
PY

step "downloads: invoice PDF and CSV export stream through"
PDF="$(mktemp)"
E2E_CLEANUP_DIRS+=("$PDF")
code="$(curl -sS -o "$PDF" -w '%{http_code} %{content_type}' -H "$(auth "$TOKEN_B")" "$GATEWAY_URL/v1/invoices/$INVOICE_B/document?format=DOCUMENT_FORMAT_PDF")"
[[ "$code" == "200 application/pdf" ]] || fail "B's invoice PDF: $code"
[[ "$(head -c 4 "$PDF")" == "%PDF" ]] || fail "B's invoice document is not a PDF"
http GET "/v1/invoices/$INVOICE_B/document" "" -H "$(auth "$TOKEN_A")"
expect 404 "A asks for B's invoice PDF"
headers="$(curl -sS -D - -o /dev/null -H "$(auth "$STAFF_TOKEN")" "$GATEWAY_URL/v1/invoices:export")"
grep -qi '^transfer-encoding: chunked' <<<"$headers" || fail "the CSV export is not chunked: $headers"
grep -qi '^content-type: text/csv' <<<"$headers" || fail "the CSV export is not text/csv: $headers"

step "order exports: the list's orders as CSV, a row per line, staff only (ORD-10)"
CSV="$(mktemp)"
E2E_CLEANUP_DIRS+=("$CSV")
code="$(curl -sS -o "$CSV" -w '%{http_code} %{content_type}' -H "$(auth "$STAFF_TOKEN")" \
  "$GATEWAY_URL/v1/orders:export?layout=ORDER_EXPORT_LAYOUT_LINES&filter.customerId=$ID_B")"
[[ "$code" == "200 text/csv; charset=utf-8" ]] || fail "the order lines export: $code $(head -c 300 "$CSV")"
http GET "/v1/orders?filter.customerId=$ID_B&pageSize=1000" "" -H "$(auth "$STAFF_TOKEN")"
python3 - "$CSV" "$ORDER_B" "$BODY" <<'PY' || fail "the export disagrees with the list"
import csv, json, sys
listed = json.loads(sys.argv[3]).get("orders", [])
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
lines = sum(len(o["items"]) for o in listed)
assert len(rows) == lines, f"{len(rows)} rows for {lines} lines"
assert {r["order_id"] for r in rows} == {o["id"] for o in listed} and sys.argv[2] in {r["order_id"] for r in rows}
assert all(r["order_number"] and r["email"] and r["created_at"] for r in rows), "blank order fields"
mug = [r for r in rows if r["order_id"] == sys.argv[2]][0]
assert (mug["sku"], mug["quantity"], mug["unit_price"], mug["currency"]) == ("MUG-1", "2", "12.50", "USD"), mug
PY
http GET "/v1/orders:export" "" -H "$(auth "$TOKEN_B")"
expect 403 "a customer exports orders"

step "packing slip, pick list, shipping and a return through the gateway (ORD-11, ORD-05)"
code="$(curl -sS -o "$PDF" -w '%{http_code} %{content_type}' -H "$(auth "$STAFF_TOKEN")" \
  "$GATEWAY_URL/v1/orders:packingSlips?orderIds=$ORDER_B")"
[[ "$code" == "200 application/pdf" ]] || fail "B's packing slip: $code $(head -c 300 "$PDF")"
[[ "$(head -c 4 "$PDF")" == "%PDF" ]] || fail "B's packing slip is not a PDF"
if command -v pdftotext >/dev/null; then
  slip="$(pdftotext -layout "$PDF" -)"
  grep -q "Packing slip" <<<"$slip" && grep -q "MUG-1" <<<"$slip" || fail "B's packing slip: $slip"
  if grep -q "12.50" <<<"$slip"; then fail "the packing slip shows prices: $slip"; fi
fi
code="$(curl -sS -o "$CSV" -w '%{http_code} %{content_type}' -H "$(auth "$STAFF_TOKEN")" \
  "$GATEWAY_URL/v1/orders:pickList?orderIds=$ORDER_B&format=DOCUMENT_FORMAT_HTML")"
[[ "$code" == "200 text/html; charset=utf-8" ]] || fail "the pick list: $code"
grep -q "MUG-1" "$CSV" || fail "the pick list has no MUG-1"
http GET "/v1/orders:packingSlips?orderIds=$ORDER_B" "" -H "$(auth "$TOKEN_B")"
expect 403 "a customer prints packing slips"
http POST "/v1/orders/$ORDER_B:ship" '{"carrier":"ups","trackingNumber":"1Z999AA10123456784"}' -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff ship B's order"
RETURN_BODY="{\"requestId\":\"$(cat /proc/sys/kernel/random/uuid)\",\"reason\":\"too small\",\"lines\":[{\"sku\":\"MUG-1\",\"quantityReceived\":1,\"quantityDamaged\":1}]}"
http POST "/v1/orders/$ORDER_B/returns" "$RETURN_BODY" -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff record a return"
[[ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["order"]["items"][0]["returnedQuantity"])' <<<"$BODY")" == 2 ]] ||
  fail "the return did not count 2 units: $BODY"
http POST "/v1/orders/$ORDER_B/returns" "$RETURN_BODY" -H "$(auth "$TOKEN_B")"
expect 403 "a customer records a return"
http GET "/v1/orders:export?filter.customerId=nope" "" -H "$(auth "$STAFF_TOKEN")"
expect 400 "an export with a bad filter"

step "the seeds' morning: pay in bulk, filter processing, dry run, ship from a tracking CSV, slips, products (ORD-09, ORD-16)"
uuid() { cat /proc/sys/kernel/random/uuid; }
MORNING_NUMBERS=()
for i in 1 2 3; do
  body="${ORDER_BODY/b@e2e.example.com/morning$i@e2e.example.com}"
  body="${body/\"customerId\":\"$ID_B\",/}"
  http POST /v1/orders "$body" -H "$(auth "$STOREFRONT_TOKEN")" -H "Idempotency-Key: $(uuid)"
  expect 200 "the storefront places morning order $i"
  MORNING_NUMBERS+=("$(json_get number <<<"$BODY")")
done
# await_job ID: polls the job until it is done; BODY is the job.
await_job() {
  local deadline=$((SECONDS + DEADLINE_S))
  while :; do
    http GET "/v1/orderJobs/$1" "" -H "$(auth "$STAFF_TOKEN")"
    expect 200 "read job $1"
    [[ "$(json_get state <<<"$BODY")" == ORDER_JOB_STATE_DONE ]] && return 0
    ((SECONDS < deadline)) || fail "job $1 not done after ${DEADLINE_S}s: $BODY"
    sleep 0.2
  done
}
PAY_JOB="{\"requestId\":\"$(uuid)\",\"action\":\"ORDER_JOB_ACTION_MARK_PAID\",\"filter\":{\"query\":\"morning\",\"statuses\":[\"ORDER_STATUS_PENDING\"]}}"
http POST /v1/orderJobs "$PAY_JOB" -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff mark the morning's orders paid in one job"
await_job "$(json_get id <<<"$BODY")"
[[ "$(json_get changedCount <<<"$BODY")" == 3 ]] || fail "the pay job did not change 3 orders: $BODY"
http GET "/v1/orders?filter.query=morning&filter.statuses=ORDER_STATUS_PROCESSING" "" -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff filter the processing orders"
[[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["orders"]))' <<<"$BODY")" == 3 ]] ||
  fail "the processing filter does not list the 3 paid orders: $BODY"
# A customer phones before the parcels go: one more mug on the first order
# (ORD-06): preview, commit on the previewed version, pay the balance; the
# invoicing service replaces the invoice (credit note + new invoice).
http GET "/v1/orders?filter.number=${MORNING_NUMBERS[0]}" "" -H "$(auth "$STAFF_TOKEN")"
EDIT_ID="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["orders"][0]["id"])' <<<"$BODY")"
EDIT='{"changes":[{"setQuantity":{"sku":"MUG-1","quantity":3}}],"reason":"customer phoned"}'
http POST "/v1/orders/$EDIT_ID:previewEdit" "$EDIT" -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff preview an edit"
EDIT_VERSION="$(json_get baseVersion <<<"$BODY")"
[[ "$(json_get amountDue.amountMinor <<<"$BODY")" == 1250 ]] || fail "the preview's amount due: $BODY"
http POST "/v1/orders/$EDIT_ID:edit" "${EDIT%\}},\"expectedVersion\":\"$((EDIT_VERSION - 1))\"}" -H "$(auth "$STAFF_TOKEN")"
expect 409 "an edit on a stale version"
http POST "/v1/orders/$EDIT_ID:edit" "${EDIT%\}},\"expectedVersion\":\"$EDIT_VERSION\"}" -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff commit the edit on the previewed version"
http POST "/v1/orders/$EDIT_ID:edit" "${EDIT%\}},\"expectedVersion\":\"$EDIT_VERSION\"}" -H "$(auth "$TOKEN_B")"
expect 403 "a customer edits an order"
BALANCE="{\"orderId\":\"$EDIT_ID\",\"provider\":\"manual\",\"reference\":\"edit-$EDIT_ID\",\"amount\":{\"amountMinor\":\"1250\",\"currencyCode\":\"USD\"},\"outcome\":\"PAYMENT_OUTCOME_SUCCEEDED\"}"
http POST "/v1/orders/$EDIT_ID/payments" "$BALANCE" -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff record the edit's balance"
deadline=$((SECONDS + DEADLINE_S))
until http GET "/v1/invoices?filter.orderId=$EDIT_ID" "" -H "$(auth "$STAFF_TOKEN")" &&
  python3 - "$BODY" <<'PY'
import json, sys
docs = json.loads(sys.argv[1]).get("invoices", [])
kinds = sorted((d.get("kind"), d.get("status")) for d in docs)
assert kinds == [("DOCUMENT_KIND_CREDIT_NOTE", "INVOICE_STATUS_ISSUED"),
                 ("DOCUMENT_KIND_INVOICE", "INVOICE_STATUS_CORRECTED"),
                 ("DOCUMENT_KIND_INVOICE", "INVOICE_STATUS_ISSUED")], kinds
new = next(d for d in docs if d.get("status") == "INVOICE_STATUS_ISSUED" and d["kind"] == "DOCUMENT_KIND_INVOICE")
assert new["total"]["amountMinor"] == "4250", new["total"]
PY
do
  ((SECONDS < deadline)) || fail "the edited order's invoice was not replaced: $BODY"
  sleep 0.3
done
TRACKING_CSV="order_number,carrier,tracking_number
${MORNING_NUMBERS[0]},UPS,1Z999AA10000000001
#${MORNING_NUMBERS[1]},dhl,JD0146000000000002
${MORNING_NUMBERS[2]},usps,9400100000000000000003"
ship_job() {
  python3 -c 'import json,sys; print(json.dumps({"requestId": sys.argv[1], "action": "ORDER_JOB_ACTION_SHIP", "shipmentsCsv": sys.argv[2]}))' "$1" "$2"
}
http POST /v1/orderJobs:preview "$(ship_job "$(uuid)" "$TRACKING_CSV
99999999,ups,1Z000")" -H "$(auth "$STAFF_TOKEN")"
expect 200 "the dry run of shipping from a tracking CSV"
[[ "$(json_get changeCount <<<"$BODY")" == 3 && "$(json_get failCount <<<"$BODY")" == 1 ]] ||
  fail "the dry run should change 3 and fail the unknown number: $BODY"
http GET "/v1/orders/$(python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["orderId"])' <<<"$BODY")" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(json_get status <<<"$BODY")" == ORDER_STATUS_PROCESSING ]] || fail "the dry run changed an order: $BODY"
http POST /v1/orderJobs:preview "$(ship_job "$(uuid)" "order_number,carrier,tracking_number
${MORNING_NUMBERS[0]},ups,not a number")" -H "$(auth "$STAFF_TOKEN")"
expect 400 "a tracking CSV with a bad row"
grep -q "line 2" <<<"$BODY" || fail "the bad row's error does not name its line: $BODY"
SHIP_REQUEST="$(uuid)"
http POST /v1/orderJobs "$(ship_job "$SHIP_REQUEST" "$TRACKING_CSV")" -H "$(auth "$STAFF_TOKEN")"
expect 200 "staff ship the morning's parcels from the tracking CSV"
SHIP_JOB="$(json_get id <<<"$BODY")"
http POST /v1/orderJobs "$(ship_job "$SHIP_REQUEST" "$TRACKING_CSV")" -H "$(auth "$STAFF_TOKEN")"
[[ "$(json_get id <<<"$BODY")" == "$SHIP_JOB" ]] || fail "a retried submission made another job: $BODY"
await_job "$SHIP_JOB"
[[ "$(json_get changedCount <<<"$BODY")" == 3 ]] || fail "the ship job did not ship 3 orders: $BODY"
code="$(curl -sS -o "$CSV" -w '%{http_code} %{content_type}' -H "$(auth "$STAFF_TOKEN")" \
  "$GATEWAY_URL/v1/orderJobs/$SHIP_JOB/items:export")"
[[ "$code" == "200 text/csv; charset=utf-8" ]] || fail "the job's results CSV: $code $(head -c 300 "$CSV")"
[[ "$(grep -c ',changed,' "$CSV")" == 3 ]] || fail "the results CSV: $(cat "$CSV")"
http GET "/v1/orders?filter.query=morning&filter.statuses=ORDER_STATUS_SHIPPED" "" -H "$(auth "$STAFF_TOKEN")"
MORNING_ID="$(python3 -c 'import json,sys; o=json.load(sys.stdin)["orders"]; print(len(o), o[0]["id"])' <<<"$BODY")"
[[ "${MORNING_ID%% *}" == 3 ]] || fail "the shipped filter does not list the 3 orders: $BODY"
http GET "/v1/orders/${MORNING_ID#* }/history" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][-1].get("jobId",""))' <<<"$BODY")" == "$SHIP_JOB" ]] ||
  fail "the order's history does not name the job: $BODY"
code="$(curl -sS -o "$PDF" -w '%{http_code} %{content_type}' -H "$(auth "$STAFF_TOKEN")" \
  "$GATEWAY_URL/v1/orders:packingSlips?filter.query=morning&sort=PACKING_SLIP_SORT_SKU")"
[[ "$code" == "200 application/pdf" ]] || fail "the morning's packing slips: $code $(head -c 300 "$PDF")"
if command -v pdfinfo >/dev/null; then
  [[ "$(pdfinfo "$PDF" | awk '/^Pages:/ {print $2}')" == 3 ]] || fail "the batch of packing slips is not 3 pages"
fi
code="$(curl -sS -o "$CSV" -w '%{http_code} %{content_type}' -H "$(auth "$STAFF_TOKEN")" \
  "$GATEWAY_URL/v1/orders:export?layout=ORDER_EXPORT_LAYOUT_PRODUCTS&filter.query=morning")"
[[ "$code" == "200 text/csv; charset=utf-8" ]] || fail "the ordered products export: $code"
python3 - "$CSV" <<'PY' || fail "the ordered products export: $(cat "$CSV")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 1 and rows[0]["sku"] == "MUG-1", rows
sold = next(v for k, v in rows[0].items() if k.startswith("quantity_sold") or k == "sold")
assert int(sold) == 7, rows  # 2 + 2 + 3 (one order edited)
PY
http POST /v1/orderJobs "$PAY_JOB" -H "$(auth "$TOKEN_B")"
expect 403 "a customer submits a bulk job"
http POST "/v1/orderJobs/$SHIP_JOB:undo" "{\"requestId\":\"$(uuid)\"}" -H "$(auth "$STOREFRONT_TOKEN")"
expect 403 "the storefront undoes a job"

step "roles: marketing cannot cancel an order, the storefront cannot run the back office"
MARKETING="$("$STORECTL" token issue --role marketing --ttl 10m)"
http POST "/v1/orders/$ORDER_B:cancel" '{}' -H "$(auth "$MARKETING")"
expect 403 "marketing cancels an order"
http POST "/v1/orders/$ORDER_B:cancel" '{}' -H "$(auth "$STOREFRONT_TOKEN")"
expect 403 "the storefront cancels an order"
http GET "/v1/customers/$ID_B" "" -H "$(auth "$STOREFRONT_TOKEN")"
expect 403 "the storefront reads a customer"

step "metrics by route template"
METRICS="$(curl -sS "$GATEWAY_URL/metrics")"
grep -q 'http_requests_total{code="404",method="GET",route="/v1/orders/{id}"}' <<<"$METRICS" ||
  fail "/metrics has no count for GET /v1/orders/{id} 404"

e2e_stack_down
step "PASS"
