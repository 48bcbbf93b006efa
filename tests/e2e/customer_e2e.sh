#!/usr/bin/env bash
# End to end: the customer service with the order service, through the real
# local stack.
#
#   1. `tools/dev up` on a private stack (temporary DEV_HOME, free ports) of
#      the customer and order services, with the binaries already built
#      (DEV_SKIP_BUILD=1) and no demo data;
#   2. blacklist: `storectl blacklist add --phone +15550000777`; a guest order
#      with that phone is refused with FAILED_PRECONDITION, reason
#      CUSTOMER_BLACKLISTED, and `storectl order list` shows no such order;
#   3. purchase facts: a registered customer's order (customer_id) is paid and
#      partly refunded; `storectl customer get` comes to show orders_count 1
#      and total_spent = the order's total - the refund;
#   4. erasure: a customer with email and phone places an order, then
#      `storectl privacy erase`; once the erasure record lists the steps of
#      customer-, order- and invoicing-service, `pg_dump --data-only` of the
#      customer, order and invoicing databases holds neither the email nor the phone,
#      as text or hex-encoded (bytea: event payloads); the same scan found
#      both in both databases before the erasure;
#   5. `tools/dev down`, and check that no process of this stack is left.
# Every wait is a deadline loop (E2E_EVENT_DEADLINE_S, default 60 s).
#
# Needs: STORE_REPO_ROOT (set by ctest; else derived from this file's path),
# STORE_BUILD_DIR (default $STORE_REPO_ROOT/build), python3, pg_dump (15), xxd.
set -euo pipefail
# A failure inside $(...) stops the test too.
shopt -s inherit_errexit

REPO="${STORE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
BUILD_DIR="${STORE_BUILD_DIR:-$REPO/build}"
STORECTL="$BUILD_DIR/bin/storectl"
DEADLINE_S="${E2E_EVENT_DEADLINE_S:-60}"
PG_DUMP=/usr/lib/postgresql/15/bin/pg_dump
BLACKLISTED_PHONE=+15550000777
EXPECTED_TOTAL_MINOR=3000 # 2 x 12.50 + 5.00 delivery
REFUND_MINOR=1000

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

[[ -x "$STORECTL" ]] || fail "$STORECTL not built"
for svc in customer order; do
  [[ -x "$BUILD_DIR/bin/$svc-service" ]] || fail "$BUILD_DIR/bin/$svc-service not built"
done
[[ -x "$PG_DUMP" ]] || PG_DUMP="$(command -v pg_dump || true)"
[[ -n "$PG_DUMP" ]] || fail "pg_dump is not installed (tools/dev deps: postgresql-15)"
command -v xxd >/dev/null || fail "xxd is not installed"

e2e_private_stack
export DEV_SERVICES_OVERRIDE="customer order invoicing"
E2E_LOG_SERVICES=(customer order invoicing)
WORK="$(mktemp -d /tmp/store-e2e-files.XXXXXX)"
E2E_CLEANUP_DIRS=("$WORK")

# wait_until DESCRIPTION COMMAND...: runs COMMAND until it succeeds or the
# deadline passes; COMMAND prints what it saw (the last output is in the
# failure message).
wait_until() {
  local what="$1" report="" deadline
  shift
  deadline=$(($(date +%s) + DEADLINE_S))
  while :; do
    if report="$("$@" 2>&1)"; then
      printf '%s' "$report"
      return 0
    fi
    if (($(date +%s) >= deadline)); then
      fail "$what: not after ${DEADLINE_S}s: $report"
    fi
    sleep 0.2
  done
}

# place_order EMAIL NAME PHONE [--customer-id ID]: a 2-line order, total 3000
# USD (no group discount); prints its JSON.
place_order() {
  local email="$1" name="$2" phone="$3"
  shift 3
  storectl_json order place --email "$email" --name "$name" --phone "$phone" "$@" \
    --item 'SKU-1:Blue mug:2:1250' --currency USD --payment card --delivery standard:500 \
    --address "$name|1 Main St|Springfield|US|12345"
}

# No order of the ListOrdersResponse on stdin has customer email $1 or phone $2.
cat >"$WORK/no_order.py" <<'PY'
import json, sys

email, phone = sys.argv[1].lower(), sys.argv[2]
orders = json.load(sys.stdin).get("orders", [])
bad = [o.get("id") for o in orders
       if (o.get("customer") or {}).get("email", "").lower() == email
       or (o.get("customer") or {}).get("phone", "") == phone]
if bad:
    print(f"orders {bad} have email {email} or phone {phone}")
    sys.exit(1)
print(f"{len(orders)} order(s), none with {email} or {phone}")
PY

# The Customer on stdin has facts orders_count $1 and total_spent $2 $3.
cat >"$WORK/facts.py" <<'PY'
import json, sys

want_count, want_spent, want_currency = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
try:
    facts = json.load(sys.stdin).get("facts") or {}
except ValueError as e:
    print(f"not JSON: {e}")
    sys.exit(1)
count = int(facts.get("ordersCount", 0))
spent = facts.get("totalSpent") or {}
amount, currency = int(spent.get("amountMinor", 0)), spent.get("currencyCode", "")
print(f"orders_count {count}, total_spent {amount} {currency}")
sys.exit(0 if (count, amount, currency) == (want_count, want_spent, want_currency) else 1)
PY

# The ErasureRecord on stdin has a step from every service named in the arguments.
cat >"$WORK/steps.py" <<'PY'
import json, sys

try:
    steps = json.load(sys.stdin).get("steps", [])
except ValueError as e:
    print(f"not JSON: {e}")
    sys.exit(1)
have = {s.get("service", ""): s for s in steps}
print("steps: " + (", ".join(f"{n} ({s.get('summary', '')}; {s.get('records', 0)} record(s))"
                             for n, s in have.items()) or "none"))
sys.exit(0 if all(n in have for n in sys.argv[1:]) else 1)
PY

# pii_scan NAME URL NEEDLE...: `pg_dump --data-only` of database URL; prints
# "NAME: <needle> <text hits>+<hex hits>, ..." (lines of the dump holding the
# needle, case-insensitive, and its hex encoding, as pg_dump prints bytea) and
# sets PII_HITS to the total.
PII_HITS=0
pii_scan() {
  local name="$1" url="$2" needle hex text_hits hex_hits parts=()
  shift 2
  "$PG_DUMP" --data-only "$url" >"$WORK/$name.sql" 2>"$WORK/pg_dump.err" ||
    fail "pg_dump of the $name database failed: $(cat "$WORK/pg_dump.err")"
  PII_HITS=0
  for needle in "$@"; do
    hex="$(printf %s "$needle" | xxd -p | tr -d '\n')"
    text_hits="$(grep -ciF -- "$needle" "$WORK/$name.sql" || true)"
    hex_hits="$(grep -ciF -- "$hex" "$WORK/$name.sql" || true)"
    PII_HITS=$((PII_HITS + text_hits + hex_hits))
    parts+=("$needle $text_hits+$hex_hits")
  done
  PII_REPORT="$name: $(IFS=,; printf '%s' "${parts[*]}" | sed 's/,/, /g')"
}

# check_facts ID COUNT SPENT: `customer get ID` against the expected facts.
check_facts() {
  "$STORECTL" --json customer get "$1" | python3 "$WORK/facts.py" "$2" "$3" USD
}

# check_steps ERASURE_ID SERVICE...: the erasure record lists those steps.
check_steps() {
  local id="$1"
  shift
  "$STORECTL" --json erasure get "$id" | python3 "$WORK/steps.py" "$@"
}

step "stack: DEV_HOME=$DEV_HOME, PostgreSQL port $DEV_PG_PORT, port base $DEV_PORT_BASE"
if ! "$DEV" up >"$DEV_HOME.up.log" 2>&1; then
  cat "$DEV_HOME.up.log" >&2
  rm -f "$DEV_HOME.up.log"
  fail "tools/dev up failed"
fi
rm -f "$DEV_HOME.up.log"
# shellcheck disable=SC1091
source "$DEV_HOME/env"
for var in CUSTOMER_SERVICE_ADDR CUSTOMER_METRICS_URL CUSTOMER_DATABASE_URL ORDER_SERVICE_ADDR \
  ORDER_DATABASE_URL; do
  [[ -n "${!var:-}" ]] || fail "$DEV_HOME/env does not set $var"
done
step "tools/dev up: customer service at $CUSTOMER_SERVICE_ADDR, order service at $ORDER_SERVICE_ADDR"


# --- (a) blacklist -------------------------------------------------------------
storectl_json blacklist add --phone "$BLACKLISTED_PHONE" --reason test >/dev/null
step "blacklisted $BLACKLISTED_PHONE"
guest_email=blacklisted.guest@example.com
rc=0
"$STORECTL" --json order place --email "$guest_email" --name "Gus Guest" \
  --phone "$BLACKLISTED_PHONE" --item 'SKU-1:Blue mug:1:1250' --currency USD --payment card \
  --delivery standard:500 --address "Gus Guest|1 Main St|Springfield|US|12345" \
  >"$WORK/place.out" 2>"$WORK/place.err" || rc=$?
((rc != 0)) || fail "a guest order with the blacklisted phone was accepted: $(cat "$WORK/place.out")"
grep -q 'FAILED_PRECONDITION' "$WORK/place.err" ||
  fail "the refused order's error is not FAILED_PRECONDITION: $(cat "$WORK/place.err")"
grep -q 'reason=CUSTOMER_BLACKLISTED' "$WORK/place.err" ||
  fail "the refused order's error has not reason CUSTOMER_BLACKLISTED: $(cat "$WORK/place.err")"
report="$(storectl_json order list --all | python3 "$WORK/no_order.py" "$guest_email" "$BLACKLISTED_PHONE")" ||
  fail "order list after the refused order: $report"
step "guest order with $BLACKLISTED_PHONE refused ($(head -n1 "$WORK/place.err")); order list: $report"

# --- (b) purchase facts ----------------------------------------------------------
facts_email=fay.facts@example.com
customer="$(storectl_json customer create --email "$facts_email" --name "Fay Facts")"
facts_id="$(json_get id <<<"$customer")"
[[ -n "$facts_id" ]] || fail "created customer has no id: $customer"
order="$(place_order "$facts_email" "Fay Facts" +15551230042 --customer-id "$facts_id")"
order_id="$(json_get id <<<"$order")"
total="$(json_get totals.total.amountMinor <<<"$order")"
[[ "$(json_get customer.customerId <<<"$order")" == "$facts_id" ]] ||
  fail "the order does not carry customer_id $facts_id: $order"
[[ "$total" == "$EXPECTED_TOTAL_MINOR" ]] ||
  fail "order total is '$total' minor units, want $EXPECTED_TOTAL_MINOR (no group discount)"
storectl_json order pay "$order_id" --amount "$total" >/dev/null
storectl_json order refund "$order_id" --amount "$REFUND_MINOR" --reason test >/dev/null
step "customer $facts_id: order $order_id placed ($total USD), paid, $REFUND_MINOR refunded"
spent=$((total - REFUND_MINOR))
report="$(wait_until "purchase facts of customer $facts_id" check_facts "$facts_id" 1 "$spent")"
step "customer get $facts_id: $report"

# --- (c) erasure -------------------------------------------------------------------
erase_email=erin.erase.e2e@example.com
erase_phone=+15550004242
customer="$(storectl_json customer create --email "$erase_email" --name "Erin Erase" \
  --phone "$erase_phone")"
erase_id="$(json_get id <<<"$customer")"
[[ -n "$erase_id" ]] || fail "created customer has no id: $customer"
order="$(place_order "$erase_email" "Erin Erase" "$erase_phone" --customer-id "$erase_id")"
erase_order="$(json_get id <<<"$order")"
step "customer $erase_id ($erase_email, $erase_phone): order $erase_order placed"

# The scan finds them before the erasure (else it proves nothing after it).
needles=("$erase_email" "${erase_phone#+}")
for db in customer order; do
  url_var="$(tr '[:lower:]' '[:upper:]' <<<"$db")_DATABASE_URL"
  for needle in "${needles[@]}"; do
    pii_scan "$db" "${!url_var}" "$needle"
    ((PII_HITS > 0)) || fail "before the erasure the $db database does not hold $needle: $PII_REPORT"
  done
done
step "before the erasure both databases hold the email and the phone"

record="$(storectl_json privacy erase "$erase_id" --reason test)"
erasure_id="$(json_get id <<<"$record")"
[[ -n "$erasure_id" ]] || fail "privacy erase printed no erasure id: $record"
[[ "$(json_get customerId <<<"$record")" == "$erase_id" ]] ||
  fail "the erasure record is not for customer $erase_id: $record"
step "privacy erase $erase_id: erasure $erasure_id"
report="$(wait_until "steps of erasure $erasure_id" check_steps "$erasure_id" customer-service order-service invoicing-service)"
step "erasure get $erasure_id: $report"

for db in customer order invoicing; do
  url_var="$(tr '[:lower:]' '[:upper:]' <<<"$db")_DATABASE_URL"
  pii_scan "$db" "${!url_var}" "${needles[@]}"
  ((PII_HITS == 0)) || {
    grep -inF -e "$erase_email" -e "${erase_phone#+}" \
      -e "$(printf %s "$erase_email" | xxd -p | tr -d '\n')" \
      -e "$(printf %s "${erase_phone#+}" | xxd -p | tr -d '\n')" "$WORK/$db.sql" |
      cut -c1-300 | head -n 20 >&2 || true
    fail "after the erasure the $db database still holds personal data ($PII_REPORT; lines above)"
  }
  step "pg_dump --data-only of the $db database: no trace ($PII_REPORT)"
done

# --- down ------------------------------------------------------------------
e2e_stack_down
step "PASS: blacklisted phone refused at checkout; purchase facts after pay and refund ($spent USD); erasure $erasure_id with steps of customer-service, order-service and invoicing-service, no email or phone left in their databases; stack stopped"
