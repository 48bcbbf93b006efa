#!/usr/bin/env bash
# The storefront checkout end to end through the gateway with curl, against
# the whole local stack (every service, the gateway, the SMTP sink):
#
#   1. staff create a discount code; a storefront service token (storectl
#      token issue --role storefront) builds a guest cart: creates it, adds
#      three priced lines, sets email, addresses and delivery, applies the
#      code; the cart's totals are the order's;
#   2. checkout places the order (cart CONVERTED, order.cartId), a retry
#      with the same Idempotency-Key is the same order, another checkout is
#      409 CART_CONVERTED; the signed payment webhook pays it; the
#      order-received mail reaches the guest's address;
#   3. a signed-in customer reads and edits their own cart (email, address,
#      code) but never a price: a line price in the body, a delivery method,
#      adding a line, PlaceOrder are 403 and change nothing; someone else's
#      cart is 404; they check out their own cart;
#   4. a cart left for two hours (its last change moved back in the order
#      database, as the clock would) is found abandoned by the sweep, staff
#      list it, the reminder mail carries a recovery link that restores the
#      cart through the gateway's public route (a tampered one is 400), and
#      the restored cart is checked out.
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
E2E_LOG_SERVICES=(gateway order customer newsletter)
# The abandonment sweep runs every second here (30 s by default).
export DEV_CART_SWEEP_INTERVAL=1s
e2e_up
# shellcheck disable=SC1091
source "$DEV_HOME/env"
for var in GATEWAY_URL STAFF_TOKEN MAILDIR; do
  [[ -n "${!var:-}" ]] || fail "$var missing from the env file"
done
STOREFRONT="$("$STORECTL" token issue --role storefront --subject web-shop --ttl 1h)"
uuid() { cat /proc/sys/kernel/random/uuid; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

step "staff create a discount code"
http POST /v1/discountCodes '{"code":"welcome10","description":"Welcome 10%","percentBp":1000}' -H "$(auth "$STAFF_TOKEN")"
expect 200 "create WELCOME10"
[[ "$(json_get code <<<"$BODY")" == WELCOME10 ]] || fail "the code is not normalised: $BODY"

step "the storefront builds a guest cart"
http POST /v1/carts '{"email":"guest@e2e.example.com"}' -H "$(auth "$STOREFRONT")" -H "Idempotency-Key: $(uuid)"
expect 200 "create a cart"
CART="$(json_get id <<<"$BODY")"
for line in '{"sku":"MUG-1","name":"Blue mug","quantity":2,"unitPrice":{"amountMinor":"1250","currencyCode":"USD"},"taxRateBp":2000}' \
            '{"sku":"TEE-1","name":"T-shirt","quantity":1,"unitPrice":{"amountMinor":"1999","currencyCode":"USD"},"taxRateBp":2000}' \
            '{"sku":"CAP-1","name":"Cap","quantity":1,"unitPrice":{"amountMinor":"900","currencyCode":"USD"},"taxRateBp":2000}'; do
  http POST "/v1/carts/$CART/lines" "$line" -H "$(auth "$STOREFRONT")"
  expect 200 "add a line"
done
http POST "/v1/carts/$CART/lines" '{"sku":"X","name":"X","quantity":0,"unitPrice":{"amountMinor":"1"}}' -H "$(auth "$STOREFRONT")"
expect 400 "a line of quantity 0"
[[ "$(json_get field <<<"$BODY")" == line.quantity ]] || fail "the 400 does not name line.quantity: $BODY"
http PATCH "/v1/carts/$CART?update_mask=shipping_address,delivery_method,discount_code" \
  '{"shippingAddress":{"name":"Gus Guest","line1":"1 Main St","city":"Springfield","postalCode":"12345","countryCode":"US"},
    "deliveryMethod":{"code":"standard","name":"Standard","fee":{"amountMinor":"500","currencyCode":"USD"}},
    "discountCode":"welcome10"}' -H "$(auth "$STOREFRONT")"
expect 200 "set address, delivery and code"
CART_TOTAL="$(jq_py 'd["totals"]["total"]["amountMinor"]' <<<"$BODY")"
CART_DISCOUNT="$(jq_py 'd["totals"]["discount"]["amountMinor"]' <<<"$BODY")"
[[ "$CART_DISCOUNT" == 540 ]] || fail "10% of 53.99 is 5.40 (5.399 rounded half up): $BODY"

step "checkout places the order once; the webhook pays it; the mail arrives"
KEY="$(uuid)"
http POST "/v1/carts/$CART:checkout" '{"paymentMethod":"PAYMENT_METHOD_CARD"}' -H "$(auth "$STOREFRONT")" -H "Idempotency-Key: $KEY"
expect 200 "checkout"
ORDER="$(json_get id <<<"$BODY")"
[[ "$(json_get cartId <<<"$BODY")" == "$CART" ]] || fail "the order does not name its cart: $BODY"
[[ "$(jq_py 'd["totals"]["total"]["amountMinor"]' <<<"$BODY")" == "$CART_TOTAL" ]] || fail "order total differs from the cart's $CART_TOTAL: $BODY"
[[ "$(jq_py 'd["discounts"][0]["code"]' <<<"$BODY")" == WELCOME10 ]] || fail "the order does not carry the code: $BODY"
http POST "/v1/carts/$CART:checkout" '{"paymentMethod":"PAYMENT_METHOD_CARD"}' -H "$(auth "$STOREFRONT")" -H "Idempotency-Key: $KEY"
expect 200 "checkout retried"
[[ "$(json_get id <<<"$BODY")" == "$ORDER" ]] || fail "a retried checkout placed another order: $BODY"
http POST "/v1/carts/$CART:checkout" '{"paymentMethod":"PAYMENT_METHOD_CARD"}' -H "$(auth "$STOREFRONT")" -H "Idempotency-Key: $(uuid)"
expect 409 "a second checkout"
[[ "$(json_get reason <<<"$BODY")" == CART_CONVERTED ]] || fail "not CART_CONVERTED: $BODY"
http GET "/v1/carts/$CART" "" -H "$(auth "$STOREFRONT")"
[[ "$(json_get state <<<"$BODY")" == CART_STATE_CONVERTED && "$(json_get orderId <<<"$BODY")" == "$ORDER" ]] ||
  fail "the cart is not converted into $ORDER: $BODY"
PAYMENT="{\"orderId\":\"$ORDER\",\"provider\":\"testpay\",\"reference\":\"tp_$ORDER\",\"amount\":{\"amountMinor\":\"$CART_TOTAL\",\"currencyCode\":\"USD\"},\"outcome\":\"PAYMENT_OUTCOME_SUCCEEDED\"}"
http POST /v1/webhooks/payments "$PAYMENT" -H "Store-Signature: $("$STORECTL" webhook sign --body "$PAYMENT")"
expect 200 "signed payment webhook"
http GET "/v1/orders/$ORDER" "" -H "$(auth "$STOREFRONT")"
[[ "$(json_get status <<<"$BODY")" == ORDER_STATUS_PROCESSING ]] || fail "the order is not paid: $BODY"
wait_mails guest@e2e.example.com 1

step "a customer edits their own cart but never a price"
http POST /v1/customers:register '{"email":"cora@e2e.example.com","name":"Cora Client","password":"password-cora-123"}'
expect 200 "register Cora"
http POST /v1/auth/login '{"email":"cora@e2e.example.com","password":"password-cora-123"}'
expect 200 "Cora logs in"
CORA_TOKEN="$(json_get accessToken <<<"$BODY")"
CORA="$(json_get customerId <<<"$BODY")"
http POST /v1/carts "{\"customerId\":\"$CORA\",\"email\":\"cora@e2e.example.com\",
  \"lines\":[{\"sku\":\"MUG-1\",\"name\":\"Blue mug\",\"quantity\":1,\"unitPrice\":{\"amountMinor\":\"1250\",\"currencyCode\":\"USD\"}}],
  \"deliveryMethod\":{\"code\":\"standard\",\"fee\":{\"amountMinor\":\"500\",\"currencyCode\":\"USD\"}}}" \
  -H "$(auth "$STOREFRONT")" -H "Idempotency-Key: $(uuid)"
expect 200 "the storefront creates Cora's cart"
CORA_CART="$(json_get id <<<"$BODY")"
http GET "/v1/carts/$CORA_CART" "" -H "$(auth "$CORA_TOKEN")"
expect 200 "Cora reads her cart"
http GET "/v1/carts/$CART" "" -H "$(auth "$CORA_TOKEN")"
expect 404 "Cora reads the guest's cart"
http PATCH "/v1/carts/$CORA_CART?update_mask=shipping_address,discount_code" \
  '{"shippingAddress":{"name":"Cora Client","line1":"2 Side St","city":"Springfield","countryCode":"US"},"discountCode":"WELCOME10"}' \
  -H "$(auth "$CORA_TOKEN")"
expect 200 "Cora sets her address and the code"
before="$BODY"
http PATCH "/v1/carts/$CORA_CART?update_mask=note" \
  '{"note":"x","lines":[{"sku":"MUG-1","unitPrice":{"amountMinor":"1","currencyCode":"USD"}}]}' -H "$(auth "$CORA_TOKEN")"
expect 403 "Cora sends a line price"
[[ "$(json_get reason <<<"$BODY")" == PRICE_NOT_ALLOWED && "$(json_get field <<<"$BODY")" == "cart.lines[0].unit_price" ]] ||
  fail "not PRICE_NOT_ALLOWED on cart.lines[0].unit_price: $BODY"
http PATCH "/v1/carts/$CORA_CART?update_mask=delivery_method" '{"deliveryMethod":{"code":"free"}}' -H "$(auth "$CORA_TOKEN")"
expect 403 "Cora picks her own delivery method"
http PATCH "/v1/carts/$CORA_CART?update_mask=delivery_method" '{"deliveryMethod":{"code":"free","fee":{"amountMinor":"0"}}}' -H "$(auth "$CORA_TOKEN")"
expect 403 "Cora sets a delivery fee"
http POST "/v1/carts/$CORA_CART/lines" '{"sku":"TV-1","name":"TV","quantity":1,"unitPrice":{"amountMinor":"1"}}' -H "$(auth "$CORA_TOKEN")"
expect 403 "Cora adds a line"
http POST /v1/orders "{\"currencyCode\":\"USD\",\"customer\":{\"customerId\":\"$CORA\"},\"items\":[{\"sku\":\"TV-1\",\"name\":\"TV\",\"quantity\":1,\"unitPrice\":{\"amountMinor\":\"1\"}}],\"discounts\":[{\"code\":\"SELF\",\"percentBp\":10000}]}" -H "$(auth "$CORA_TOKEN")"
expect 403 "Cora places a self-priced order"
http GET "/v1/carts/$CORA_CART" "" -H "$(auth "$CORA_TOKEN")"
[[ "$(jq_py 'd["totals"]["total"]["amountMinor"]' <<<"$BODY")" == "$(jq_py 'd["totals"]["total"]["amountMinor"]' <<<"$before")" &&
   "$(jq_py 'len(d["lines"])' <<<"$BODY")" == 1 ]] || fail "a refused change changed the cart: $BODY"
http POST "/v1/carts/$CORA_CART:checkout" '{"paymentMethod":"PAYMENT_METHOD_CASH_ON_DELIVERY"}' -H "$(auth "$CORA_TOKEN")" -H "Idempotency-Key: $(uuid)"
expect 200 "Cora checks out her cart"
[[ "$(jq_py 'd["customer"]["customerId"]' <<<"$BODY")" == "$CORA" ]] || fail "the order is not Cora's: $BODY"
# 12.50 - 10% + 5.00 delivery.
[[ "$(jq_py 'd["totals"]["total"]["amountMinor"]' <<<"$BODY")" == 1625 ]] || fail "wrong total: $BODY"

step "an abandoned cart: the reminder's link restores it"
http POST /v1/carts '{"email":"abandoner@e2e.example.com","lines":[{"sku":"MUG-1","name":"Blue mug","quantity":1,"unitPrice":{"amountMinor":"1250"}}]}' \
  -H "$(auth "$STOREFRONT")" -H "Idempotency-Key: $(uuid)"
expect 200 "create the cart to abandon"
LEFT="$(json_get id <<<"$BODY")"
psql -q "$ORDER_DATABASE_URL" -c "UPDATE carts SET updated_at = updated_at - interval '2 hours' WHERE id = '$LEFT'" >/dev/null ||
  fail "cannot age the cart"
wait_mails abandoner@e2e.example.com 1 "You left something"
http GET "/v1/carts?filter.abandoned=true" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(jq_py '[c["id"] for c in d.get("carts", [])]' <<<"$BODY")" == *"$LEFT"* ]] || fail "staff do not see the abandoned cart: $BODY"
LINK="$(mails_to abandoner@e2e.example.com "You left something" | grep -o 'http://127.0.0.1:[0-9]*/v1/carts:recover?token=[A-Za-z0-9_.-]*' | head -n1)"
[[ -n "$LINK" ]] || fail "the reminder has no recovery link: $(mails_to abandoner@e2e.example.com)"
code="$(curl -sS -o /dev/null -w '%{http_code}' "${LINK}x")"
[[ "$code" == 400 ]] || fail "a tampered recovery link gave $code"
BODY="$(curl -sS "$LINK")"
[[ "$(json_get id <<<"$BODY")" == "$LEFT" && "$(json_get recoveredViaLink <<<"$BODY")" == True ]] ||
  fail "the link did not restore the cart: $BODY"
http PATCH "/v1/carts/$LEFT?update_mask=shipping_address,delivery_method" \
  '{"shippingAddress":{"name":"Abe Andon","line1":"3 Lane","city":"Springfield","countryCode":"US"},"deliveryMethod":{"code":"standard","fee":{"amountMinor":"500"}}}' \
  -H "$(auth "$STOREFRONT")"
expect 200 "the storefront completes the restored cart"
http POST "/v1/carts/$LEFT:checkout" '{"paymentMethod":"PAYMENT_METHOD_CARD"}' -H "$(auth "$STOREFRONT")" -H "Idempotency-Key: $(uuid)"
expect 200 "the restored cart is checked out"

e2e_stack_down
step "PASS"
