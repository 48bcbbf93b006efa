#!/usr/bin/env bash
# End to end: the order lifecycle through the real local stack.
#
#   1. `tools/dev up` on a private stack (temporary DEV_HOME, free ports), with
#      the binaries already built (DEV_SKIP_BUILD=1) and no demo data;
#   2. `storectl --json order place` a guest order, then `order pay` it in full
#      and `order ship` it;
#   3. read topic store.order.orders.v1 with kcat until the order's events
#      (keyed by its id) are there: at least 3, among them OrderPlaced,
#      OrderPaid and OrderShipped (REQUIRED_EVENTS);
#   4. with two order-service replicas (ORDER_REPLICAS=2, PERF-9): a second
#      of load from build/bin/loadgen over both addresses is answered by
#      both, no order number is given twice, and the topic holds one record
#      per outbox row (the relays' leader election: each event once);
#   5. `tools/dev down`, and check that no process of this stack is left.
#
# Needs: STORE_REPO_ROOT (set by ctest; else derived from this file's path),
# STORE_BUILD_DIR (default $STORE_REPO_ROOT/build), python3, kcat.
set -euo pipefail

REPO="${STORE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
BUILD_DIR="${STORE_BUILD_DIR:-$REPO/build}"
STORECTL="$BUILD_DIR/bin/storectl"
TOPIC=store.order.orders.v1
EVENT_DEADLINE_S="${E2E_EVENT_DEADLINE_S:-60}"
EXPECTED_TOTAL_MINOR=3000 # 2 x 12.50 + 5.00 delivery
# Event types (the `type` header's last name part) that must be on the topic,
# keyed by the order id, after place + pay + ship.
REQUIRED_EVENTS="OrderPlaced OrderPaid OrderShipped"

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

[[ -x "$STORECTL" ]] || fail "$STORECTL not built"
command -v kcat >/dev/null || fail "kcat is not installed (tools/dev deps)"

e2e_private_stack
E2E_LOG_SERVICES=(order order-2)
# Two replicas on the one order database; every caller balances over both.
export ORDER_REPLICAS=2


step "stack: DEV_HOME=$DEV_HOME, PostgreSQL port $DEV_PG_PORT, port base $DEV_PORT_BASE"
if ! "$DEV" up >"$DEV_HOME.up.log" 2>&1; then
  cat "$DEV_HOME.up.log" >&2
  rm -f "$DEV_HOME.up.log"
  fail "tools/dev up failed"
fi
rm -f "$DEV_HOME.up.log"
# shellcheck disable=SC1091
source "$DEV_HOME/env"
step "tools/dev up: order service at $ORDER_SERVICE_ADDR, Kafka at $KAFKA_BROKERS"

# --- place -----------------------------------------------------------------
order="$(storectl_json order place --email a@example.com --name "Ann Lee" \
  --phone "+15551234567" --item 'SKU-1:Blue mug:2:1250' --currency USD \
  --payment card --delivery standard:500 \
  --address "Ann Lee|1 Main St|Springfield|US|12345")"
id="$(json_get id <<<"$order")"
number="$(json_get number <<<"$order")"
status="$(json_get status <<<"$order")"
total="$(json_get totals.total.amountMinor <<<"$order")"
currency="$(json_get totals.total.currencyCode <<<"$order")"
[[ -n "$id" ]] || fail "placed order has no id: $order"
[[ "$status" == ORDER_STATUS_PENDING ]] || fail "placed order status is '$status', want ORDER_STATUS_PENDING"
[[ "$currency" == USD ]] || fail "total currency is '$currency', want USD"
[[ "$total" == "$EXPECTED_TOTAL_MINOR" ]] ||
  fail "total is '$total' minor units, want $EXPECTED_TOTAL_MINOR (2 x 1250 + 500 delivery)"
step "placed order $number (id $id): $status, total $total $currency"

# --- pay -------------------------------------------------------------------
# Each step's outcome is read back with `order get` (the order as stored).
storectl_json order pay "$id" --amount "$total" >/dev/null
status="$(storectl_json order get "$id" | json_get status)"
[[ "$status" == ORDER_STATUS_PROCESSING ]] ||
  fail "after paying in full the status is '$status', want ORDER_STATUS_PROCESSING"
step "paid $total: $status"

# --- ship ------------------------------------------------------------------
storectl_json order ship "$id" --carrier ups --tracking 1Z999 >/dev/null
status="$(storectl_json order get "$id" | json_get status)"
[[ "$status" == ORDER_STATUS_SHIPPED ]] ||
  fail "after shipping the status is '$status', want ORDER_STATUS_SHIPPED"
step "shipped with ups 1Z999: $status"

# --- events ----------------------------------------------------------------
# Reads the whole topic (kcat -e stops at its end) until the order's events
# are all there or the deadline passes.
# Reads kcat's "key<TAB>headers" lines on stdin; passes when every wanted type
# is among the events keyed by the order id (and there are at least 3).
check_events_py='
import re, sys
order_id, want = sys.argv[1], sys.argv[2].split()
types = []
for line in sys.stdin.read().splitlines():
    key, _, headers = line.partition("\t")
    if key != order_id:
        continue
    found = re.findall(r"(?:^|[.=,/])(Order[A-Za-z]+)(?=$|,)", headers)
    types.append(found[0] if found else "?(" + headers + ")")
missing = [t for t in want if t not in types]
sep = ", "
report = str(len(types)) + " events keyed by the order id: " + (sep.join(types) or "none")
if missing:
    report += "; missing " + sep.join(missing)
print(report)
sys.exit(0 if not missing and len(types) >= 3 else 1)
'
deadline=$(($(date +%s) + EVENT_DEADLINE_S))
while :; do
  dump="$(kcat -b "$KAFKA_BROKERS" -C -t "$TOPIC" -e -o beginning -q \
    -f '%k\t%h\n' 2>/dev/null || true)"
  if report="$(python3 -c "$check_events_py" "$id" "$REQUIRED_EVENTS" <<<"$dump")"; then
    step "topic $TOPIC: $report"
    break
  fi
  if (($(date +%s) >= deadline)); then
    fail "after ${EVENT_DEADLINE_S}s on $TOPIC: $report"
  fi
  sleep 0.5
done

# --- replicas ----------------------------------------------------------------
[[ "$ORDER_SERVICE_ADDR" == ipv4:*,* ]] ||
  fail "ORDER_SERVICE_ADDR is '$ORDER_SERVICE_ADDR', want both replicas (ipv4:A,B)"
handled() {
  curl -fsS "http://127.0.0.1:$1/metrics" |
    awk '/^grpc_server_handled_total/ && /grpc_method="PlaceOrder"/ {s += $NF} END {print s + 0}'
}
"$BUILD_DIR/bin/loadgen" --addr "$ORDER_SERVICE_ADDR" --concurrency 4 --duration-seconds 1 \
  >"$DEV_HOME/loadgen.json" 2>&1 || fail "loadgen over both replicas failed: $(cat "$DEV_HOME/loadgen.json")"
first="$(handled $((DEV_PORT_BASE + 100)))"
second="$(handled $((DEV_PORT_BASE + 112)))"
((first > 0 && second > 0)) ||
  fail "PlaceOrder answered by replica 1: $first, replica 2: $second; want both > 0"
sql() { psql "$ORDER_DATABASE_URL" -X -q -At -c "$1"; }
dup="$(sql "SELECT count(*) - count(DISTINCT number) FROM orders")"
[[ "$dup" == 0 ]] || fail "$dup order numbers given twice across the replicas"
deadline=$(($(date +%s) + EVENT_DEADLINE_S))
until [[ "$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")" == 0 ]]; do
  (($(date +%s) < deadline)) || fail "the outbox did not drain within ${EVENT_DEADLINE_S}s"
  sleep 0.2
done
rows="$(sql "SELECT count(*) FROM outbox WHERE topic = '$TOPIC'")"
records="$(kcat -b "$KAFKA_BROKERS" -C -t "$TOPIC" -e -o beginning -q -f '%o\n' 2>/dev/null | wc -l)"
[[ "$records" == "$rows" ]] || fail "$records records on $TOPIC for $rows outbox rows (each event once)"
step "two replicas: PlaceOrder answered $first / $second times, numbers unique, $records records for $rows outbox rows"

# --- down ------------------------------------------------------------------
e2e_stack_down
step "PASS: order placed, paid, shipped; events on $TOPIC; stack stopped"
