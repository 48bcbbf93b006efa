#!/usr/bin/env bash
# End to end for the mailer, against the real local stack (tools/dev up:
# every service, the gateway and the SMTP sink writing $MAILDIR):
#
#   1. a visitor subscribes through the gateway's public route; the
#      confirmation mail lands in the maildir; its link's token confirms the
#      subscription (public route) -> SUBSCRIBED;
#   2. a campaign to every subscriber (the reader and one added by staff):
#      one mail each; its tracked link answers 302 to the original address,
#      its pixel a GIF, a changed token 400; the stats count them;
#   3. one-click unsubscribe (RFC 8058) with the campaign mail's own
#      List-Unsubscribe header: a form POST of
#      List-Unsubscribe=One-Click to the signed URL -> UNSUBSCRIBED at once;
#      a tampered token is 400 and changes nothing;
#   4. an order placed, paid and shipped with storectl: exactly one shipping
#      notice reaches the maildir, with the carrier and the tracking link;
#   5. staff routes: marketing lists subscribers, a customer token cannot;
#   6. `tools/dev down` leaves no process behind.
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
E2E_LOG_SERVICES=(newsletter gateway order smtp)
e2e_up
# shellcheck disable=SC1091
source "$DEV_HOME/env"
for var in GATEWAY_URL STAFF_TOKEN MAILDIR SMTP_URL NEWSLETTER_SERVICE_ADDR; do
  [[ -n "${!var:-}" ]] || fail "$var missing from the env file"
done


step "a visitor subscribes; the confirmation link arrives"
http POST /v1/newsletter/subscribers:subscribe '{"email":"reader@e2e.example.com","firstName":"Rea"}'
expect 200 "subscribe"
[[ "$(json_get status <<<"$BODY")" == SUBSCRIBER_STATUS_PENDING ]] || fail "not pending: $BODY"
http POST /v1/newsletter/subscribers:subscribe '{"email":"not an address"}'
expect 400 "subscribe with a bad address"
[[ "$(json_get field <<<"$BODY")" == email ]] || fail "the 400 does not name email: $BODY"
wait_mails reader@e2e.example.com 1 "confirm your subscription"
TOKEN="$(mails_to reader@e2e.example.com | grep -o 'newsletter/confirm?token=[A-Za-z0-9_-]*' | head -n1 | cut -d= -f2)"
[[ ${#TOKEN} -eq 43 ]] || fail "no confirmation token in the mail"

step "the link confirms the subscription"
http POST /v1/newsletter/subscribers:confirm "{\"token\":\"$TOKEN\"}"
expect 200 "confirm"
[[ "$(json_get status <<<"$BODY")" == SUBSCRIBER_STATUS_SUBSCRIBED ]] || fail "not subscribed: $BODY"
SUBSCRIBER="$(json_get id <<<"$BODY")"
http POST /v1/newsletter/subscribers:confirm "{\"token\":\"$TOKEN\"}"
expect 400 "the link used twice"

step "a campaign to both subscribers: one mail each, tracked link, pixel, stats"
"$STORECTL" newsletter subscriber add --email fan@e2e.example.com --source import --first-name Fan >/dev/null
HTML="$(mktemp)"
E2E_CLEANUP_DIRS+=("$HTML")
printf '%s' '<html><body><p>Hi {firstname}: <a href="https://shop.e2e.example/sale?a=1&amp;b=2">sale</a></p><a href="{unsubscribe_url}">leave</a></body></html>' >"$HTML"
CAMPAIGN="$("$STORECTL" --json newsletter campaign create --name "E2E sale" --subject "Sale for {firstname}" \
  --html-file "$HTML" | json_get id)"
[[ -n "$CAMPAIGN" ]] || fail "campaign not created"
"$STORECTL" newsletter campaign send "$CAMPAIGN" >/dev/null
wait_mails fan@e2e.example.com 1 "Sale for Fan"
wait_mails reader@e2e.example.com 1 "Sale for Rea"
CLICK="$(mails_to fan@e2e.example.com "Sale for Fan" | grep -o "$GATEWAY_URL/v1/newsletter/t/c/[A-Za-z0-9._-]*" | head -n1)"
PIXEL="$(mails_to fan@e2e.example.com "Sale for Fan" | grep -o "$GATEWAY_URL/v1/newsletter/t/o/[A-Za-z0-9._-]*" | head -n1)"
[[ -n "$CLICK" && -n "$PIXEL" ]] || fail "no tracked link or pixel in the campaign mail"
out="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$CLICK")"
[[ "$out" == "302 https://shop.e2e.example/sale?a=1&b=2" ]] || fail "the tracked link gave: $out"
out="$(curl -sS -o /dev/null -w '%{http_code} %{content_type}' "$PIXEL")"
[[ "$out" == "200 image/gif" ]] || fail "the open pixel gave: $out"
last="${CLICK: -1}"
[[ "$last" == A ]] && changed="${CLICK%?}B" || changed="${CLICK%?}A"
code="$(curl -sS -o /dev/null -w '%{http_code}' "$changed")"
[[ "$code" == 400 ]] || fail "a changed tracking token gave $code"
deadline=$(($(date +%s) + DEADLINE_S))
until http GET "/v1/newsletter/campaigns/$CAMPAIGN" "" -H "$(auth "$STAFF_TOKEN")" &&
  python3 - "$BODY" <<'PY'
import json, sys
s = json.loads(sys.argv[1]).get("stats", {})
sys.exit(0 if (s.get("recipients"), s.get("sent"), s.get("clicks"), s.get("opens")) == ("2", "2", "1", "1") else 1)
PY
do
  (($(date +%s) < deadline)) || fail "campaign stats: $BODY"
  sleep 0.2
done

step "one-click unsubscribe (RFC 8058) from the campaign mail's List-Unsubscribe header"
UNSUB="$(mails_to reader@e2e.example.com "Sale for Rea" | sed -n 's/^List-Unsubscribe: <\(.*\)>$/\1/p' | head -n1)"
[[ "$UNSUB" == "$GATEWAY_URL/v1/newsletter/unsubscribe/"* ]] || fail "unexpected List-Unsubscribe: $UNSUB"
bad="${UNSUB%?}A"
[[ "$bad" != "$UNSUB" ]] || bad="${UNSUB%?}B"
code="$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
  --data 'List-Unsubscribe=One-Click' "$bad")"
[[ "$code" == 400 ]] || fail "a tampered unsubscribe link gave $code"
http GET "/v1/newsletter/subscribers/$SUBSCRIBER" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(json_get status <<<"$BODY")" == SUBSCRIBER_STATUS_SUBSCRIBED ]] || fail "a tampered link changed the subscriber: $BODY"
code="$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
  --data 'List-Unsubscribe=One-Click' "$UNSUB")"
[[ "$code" == 200 ]] || fail "one-click unsubscribe gave $code"
http GET "/v1/newsletter/subscribers/$SUBSCRIBER" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(json_get status <<<"$BODY")" == SUBSCRIBER_STATUS_UNSUBSCRIBED ]] || fail "still subscribed: $BODY"
http GET "/v1/newsletter/campaigns/$CAMPAIGN" "" -H "$(auth "$STAFF_TOKEN")"
[[ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"].get("unsubscribes"))' <<<"$BODY")" == 1 ]] ||
  fail "the campaign does not count the unsubscribe: $BODY"

step "a shipped order's tracking mail arrives once"
ORDER="$("$STORECTL" --json order place --email buyer@e2e.example.com --name "Bo Buyer" \
  --item 'MUG-1:Blue mug:2:1250' --currency USD --payment card --delivery standard:500 \
  --address 'Bo Buyer|1 Main St|Springfield|US|12345' | json_get id)"
[[ -n "$ORDER" ]] || fail "order not placed"
"$STORECTL" order pay "$ORDER" >/dev/null
"$STORECTL" order ship "$ORDER" --carrier ups --tracking 1Z999AA10123456784 >/dev/null
wait_mails buyer@e2e.example.com 1 "1Z999AA10123456784"
mails_to buyer@e2e.example.com "is on its way" | grep -q 'https://www.ups.com/track?tracknum=1Z999AA10123456784' ||
  fail "the shipping notice has no tracking link"
wait_mails buyer@e2e.example.com 3  # received, paid, shipped
sleep_until=$(($(date +%s) + 2))
while (($(date +%s) < sleep_until)); do sleep 0.2; done # redeliveries would land by now
n="$(mails_to buyer@e2e.example.com "is on its way" | grep -c '^=== END$')"
[[ "$n" == 1 ]] || fail "expected one shipping notice, got $n"

step "roles: marketing lists subscribers, a customer cannot"
MARKETING="$("$STORECTL" token issue --role marketing --subject mia --ttl 10m)"
http GET "/v1/newsletter/subscribers?statuses=SUBSCRIBER_STATUS_UNSUBSCRIBED" "" -H "$(auth "$MARKETING")"
expect 200 "marketing lists subscribers"
[[ "$BODY" == *reader@e2e.example.com* ]] || fail "the unsubscribed reader is not listed: $BODY"
http POST /v1/customers:register '{"email":"cus@e2e.example.com","name":"Cus Tomer","password":"password-cus-123"}'
expect 200 "a customer registers"
http POST /v1/auth/login '{"email":"cus@e2e.example.com","password":"password-cus-123"}'
expect 200 "the customer logs in"
CUSTOMER="$(json_get accessToken <<<"$BODY")"
http GET "/v1/newsletter/subscribers" "" -H "$(auth "$CUSTOMER")"
expect 403 "a customer lists subscribers"

e2e_stack_down
step "PASS"
