#!/usr/bin/env bash
# End to end: invoices from order events, through the real local stack.
#
#   1. `tools/dev up` on a private stack (temporary DEV_HOME, free ports), with
#      the binaries already built (DEV_SKIP_BUILD=1) and no demo data; the
#      invoicing settings are the defaults (issue on payment, every customer);
#   2. order A: `storectl --json order place`, `order pay` (in full) -> the
#      invoicing service issues its invoice from OrderPaid: one invoice, kind
#      DOCUMENT_KIND_INVOICE, status INVOICE_STATUS_ISSUED, number INV-YYYY-NNNNNN,
#      total = the order's; `invoice render --format pdf` gives a PDF whose text
#      (pdftotext) shows the invoice number and the buyer's name;
#   3. order B: place, pay, its invoice is issued (the next number of the
#      series); `order reject` -> the invoice becomes INVOICE_STATUS_CANCELLED;
#   4. order A: `order refund --amount 1000` -> one credit note, kind
#      DOCUMENT_KIND_CREDIT_NOTE, number CN-YYYY-NNNNNN, total 1000, crediting
#      invoice A (whose credited total becomes 1000);
#   5. the invoicing service's metrics count what happened
#      (store_invoices_issued_total by kind, store_invoices_cancelled_total,
#      events_consumed_total of store.order.orders.v1);
#   6. `tools/dev down`, and check that no process of this stack is left.
# Every wait is a deadline loop (E2E_EVENT_DEADLINE_S, default 60 s).
#
# Needs: STORE_REPO_ROOT (set by ctest; else derived from this file's path),
# STORE_BUILD_DIR (default $STORE_REPO_ROOT/build), python3, pdftotext
# (poppler-utils), curl.
set -euo pipefail
# A failure inside $(...) stops the test too.
shopt -s inherit_errexit

REPO="${STORE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
BUILD_DIR="${STORE_BUILD_DIR:-$REPO/build}"
STORECTL="$BUILD_DIR/bin/storectl"
TOPIC=store.order.orders.v1
DEADLINE_S="${E2E_EVENT_DEADLINE_S:-60}"
EXPECTED_TOTAL_MINOR=3000 # 2 x 12.50 + 5.00 delivery
REFUND_MINOR=1000
INVOICE_NUMBER_RE='^INV-[0-9]{4}-[0-9]{6}$'
CREDIT_NOTE_NUMBER_RE='^CN-[0-9]{4}-[0-9]{6}$'

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

[[ -x "$STORECTL" ]] || fail "$STORECTL not built"
[[ -x "$BUILD_DIR/bin/invoicing-service" ]] || fail "$BUILD_DIR/bin/invoicing-service not built"
command -v pdftotext >/dev/null || fail "pdftotext is not installed (tools/dev deps: poppler-utils)"
command -v curl >/dev/null || fail "curl is not installed (tools/dev deps)"

e2e_private_stack
E2E_LOG_SERVICES=(order invoicing)
WORK="$(mktemp -d /tmp/store-e2e-files.XXXXXX)"
E2E_CLEANUP_DIRS=("$WORK")


# Checks a ListInvoicesResponse (JSON on stdin) against KEY=VALUE expectations:
#   count=N        exactly N documents
#   kind=K         every document's kind
#   status=S       every document's status
#   number_re=RE   every document's number matches RE
#   number=X       every document's number is X
#   total=N        every document's total.amountMinor
#   currency=C     every document's total.currencyCode
#   credited=X     every document's creditedInvoiceNumber
# Prints "<id> <number>" of the first document when all hold (exit 0), else
# what differs (exit 1).
cat >"$WORK/check_invoices.py" <<'PY'
import json, re, sys

try:
    docs = json.load(sys.stdin).get("invoices", [])
except ValueError as e:
    print(f"not JSON: {e}")
    sys.exit(1)
want = dict(a.split("=", 1) for a in sys.argv[1:])
problems = []
if "count" in want and len(docs) != int(want["count"]):
    problems.append(f"{len(docs)} documents, want {want['count']}")
for d in docs:
    total = d.get("total") or {}
    got = {"kind": d.get("kind", ""), "status": d.get("status", ""), "number": d.get("number", ""),
           "total": str(total.get("amountMinor", "0")), "currency": total.get("currencyCode", ""),
           "credited": d.get("creditedInvoiceNumber", "")}
    for key, value in want.items():
        if key == "count":
            continue
        if key == "number_re":
            if not re.search(value, got["number"]):
                problems.append(f"number {got['number']!r} does not match {value}")
        elif got[key] != value:
            problems.append(f"{d.get('number') or d.get('id')}: {key} is {got[key]!r}, want {value!r}")
if problems or not docs:
    print("; ".join(problems) or "no documents")
    sys.exit(1)
print(docs[0].get("id", ""), docs[0].get("number", ""))
PY

# wait_invoices DESCRIPTION LIST_ARGS... -- EXPECTATIONS...
# Polls `storectl --json invoice list LIST_ARGS` until the expectations hold
# or the deadline passes; prints "<id> <number>" of the first document.
wait_invoices() {
  local what="$1" list_args=() report="" out deadline
  shift
  while (($# > 0)) && [[ "$1" != -- ]]; do list_args+=("$1"); shift; done
  shift
  deadline=$(($(date +%s) + DEADLINE_S))
  while :; do
    if out="$("$STORECTL" --json invoice list "${list_args[@]}" 2>"$WORK/list.err")"; then
      if report="$(python3 "$WORK/check_invoices.py" "$@" <<<"$out")"; then
        printf '%s' "$report"
        return 0
      fi
    else
      report="storectl invoice list failed: $(cat "$WORK/list.err")"
    fi
    if (($(date +%s) >= deadline)); then
      fail "$what: after ${DEADLINE_S}s: $report (invoice list ${list_args[*]}: ${out:-no output})"
    fi
    sleep 0.2
  done
}

# place_and_pay EMAIL NAME: places a 2-line order (total 3000 USD), pays it in
# full; prints its id.
place_and_pay() {
  local email="$1" name="$2" order id total status
  order="$(storectl_json order place --email "$email" --name "$name" \
    --phone "+15551234567" --item 'SKU-1:Blue mug:2:1250' --currency USD \
    --payment card --delivery standard:500 \
    --address "$name|1 Main St|Springfield|US|12345")"
  id="$(json_get id <<<"$order")"
  total="$(json_get totals.total.amountMinor <<<"$order")"
  [[ -n "$id" ]] || fail "placed order has no id: $order"
  [[ "$total" == "$EXPECTED_TOTAL_MINOR" ]] ||
    fail "order total is '$total' minor units, want $EXPECTED_TOTAL_MINOR"
  storectl_json order pay "$id" >/dev/null
  order="$(storectl_json order get "$id")"
  status="$(json_get status <<<"$order")"
  [[ "$status" == ORDER_STATUS_PROCESSING ]] ||
    fail "after paying in full the order's status is '$status', want ORDER_STATUS_PROCESSING"
  printf '%s' "$id"
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
for var in INVOICING_SERVICE_ADDR INVOICING_METRICS_URL INVOICING_DATABASE_URL ORDER_SERVICE_ADDR; do
  [[ -n "${!var:-}" ]] || fail "$DEV_HOME/env does not set $var"
done
step "tools/dev up: order service at $ORDER_SERVICE_ADDR, invoicing service at $INVOICING_SERVICE_ADDR"

settings="$(storectl_json invoice settings)"
mode="$(json_get mode <<<"$settings")"
[[ "$mode" == ISSUE_MODE_ON_PAYMENT ]] ||
  fail "default invoicing mode is '$mode', want ISSUE_MODE_ON_PAYMENT"
step "invoicing settings: $mode (the default)"

# --- order A: paid -> invoice ------------------------------------------------
order_a="$(place_and_pay ann@example.com "Ann Lee")"
step "order A $order_a placed and paid in full ($EXPECTED_TOTAL_MINOR USD)"
found="$(wait_invoices "invoice of paid order A" --order "$order_a" -- \
  count=1 kind=DOCUMENT_KIND_INVOICE status=INVOICE_STATUS_ISSUED \
  "number_re=$INVOICE_NUMBER_RE" "total=$EXPECTED_TOTAL_MINOR" currency=USD)"
read -r invoice_a number_a <<<"$found"
step "order A: invoice $number_a (id $invoice_a) issued, total $EXPECTED_TOTAL_MINOR USD"

pdf="$WORK/invoice-a.pdf"
"$STORECTL" invoice render "$invoice_a" --format pdf --output "$pdf" >/dev/null 2>"$WORK/render.err" ||
  fail "storectl invoice render $invoice_a failed: $(cat "$WORK/render.err")"
[[ -s "$pdf" ]] || fail "invoice render wrote nothing to $pdf"
[[ "$(head -c 5 "$pdf")" == %PDF- ]] || fail "$pdf is not a PDF (starts with '$(head -c 16 "$pdf" | tr -cd '[:print:]')')"
text="$(pdftotext "$pdf" - 2>"$WORK/pdftotext.err")" ||
  fail "pdftotext cannot read the rendered invoice: $(cat "$WORK/pdftotext.err")"
text="$(tr -s '[:space:]' ' ' <<<"$text")" # words as pdftotext sees them, one space apart
grep -qF "$number_a" <<<"$text" || fail "the PDF's text does not show the invoice number $number_a:
$text"
grep -qF "Ann Lee" <<<"$text" || fail "the PDF's text does not show the buyer name Ann Lee:
$text"
step "order A: PDF of $number_a ($(wc -c <"$pdf") bytes) shows the number and the buyer 'Ann Lee'"

# --- order B: paid, then rejected -> invoice cancelled -------------------------
order_b="$(place_and_pay bob@example.com "Bob Stone")"
step "order B $order_b placed and paid in full"
found="$(wait_invoices "invoice of paid order B" --order "$order_b" -- \
  count=1 kind=DOCUMENT_KIND_INVOICE status=INVOICE_STATUS_ISSUED "number_re=$INVOICE_NUMBER_RE")"
read -r invoice_b number_b <<<"$found"
# Gapless per series: B's number follows A's.
expected_b="$(python3 -c '
import sys
prefix, _, seq = sys.argv[1].rpartition("-")
print(f"{prefix}-{int(seq) + 1:0{len(seq)}d}")' "$number_a")"
[[ "$number_b" == "$expected_b" ]] ||
  fail "order B's invoice number is $number_b, want $expected_b (the next after $number_a)"
step "order B: invoice $number_b (id $invoice_b) issued, the next number after $number_a"

storectl_json order reject "$order_b" --reason "fraud" >/dev/null
order="$(storectl_json order get "$order_b")"
status="$(json_get status <<<"$order")"
[[ "$status" == ORDER_STATUS_REJECTED ]] || fail "after rejecting order B its status is '$status'"
wait_invoices "cancellation of rejected order B's invoice" --order "$order_b" -- \
  count=1 kind=DOCUMENT_KIND_INVOICE status=INVOICE_STATUS_CANCELLED "number=$number_b" >/dev/null
step "order B rejected (fraud): invoice $number_b is INVOICE_STATUS_CANCELLED"

# --- order A: partial refund -> credit note ----------------------------------
storectl_json order refund "$order_a" --amount "$REFUND_MINOR" --reason "damaged" >/dev/null
step "order A: refunded $REFUND_MINOR minor units (damaged)"
found="$(wait_invoices "credit note of order A's refund" --order "$order_a" --kind credit_note -- \
  count=1 kind=DOCUMENT_KIND_CREDIT_NOTE status=INVOICE_STATUS_ISSUED \
  "number_re=$CREDIT_NOTE_NUMBER_RE" "total=$REFUND_MINOR" currency=USD "credited=$number_a")"
read -r credit_a credit_number_a <<<"$found"
step "order A: credit note $credit_number_a (id $credit_a) of $REFUND_MINOR USD credits $number_a"
invoice_json="$(storectl_json invoice get "$invoice_a")"
credited="$(json_get creditedTotal.amountMinor <<<"$invoice_json")"
status="$(json_get status <<<"$invoice_json")"
[[ "$credited" == "$REFUND_MINOR" ]] ||
  fail "invoice $number_a's credited total is '$credited', want $REFUND_MINOR"
[[ "$status" == INVOICE_STATUS_ISSUED ]] ||
  fail "invoice $number_a's status is '$status' after a partial refund, want INVOICE_STATUS_ISSUED"
step "order A: invoice $number_a stays issued, credited total $credited"

# --- metrics -----------------------------------------------------------------
# The series the dashboard's Invoicing row and the alerts read.
cat >"$WORK/check_metrics.py" <<'PY'
import re, sys

topic = sys.argv[1]
series = {}
for line in sys.stdin.read().splitlines():
    m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
    if m:
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        series.setdefault(m.group(1), []).append((labels, float(m.group(3))))


def value(name, **want):
    return sum(v for labels, v in series.get(name, [])
               if all(labels.get(k) == w for k, w in want.items()))


checks = [
    ("store_invoices_issued_total{kind=invoice}",
     value("store_invoices_issued_total", kind="invoice"), 2),
    ("store_invoices_issued_total{kind=credit_note}",
     value("store_invoices_issued_total", kind="credit_note"), 1),
    ("store_invoices_cancelled_total", value("store_invoices_cancelled_total"), 1),
    (f"events_consumed_total{{topic={topic},result=ok}}",
     value("events_consumed_total", topic=topic, result="ok"), 1),
]
low = [f"{name} = {got:g} (want >= {least})" for name, got, least in checks if got < least]
print("; ".join(low) if low else ", ".join(f"{name} = {got:g}" for name, got, _ in checks))
sys.exit(1 if low else 0)
PY
metrics="$(curl -fsS --max-time 5 "$INVOICING_METRICS_URL")" ||
  fail "cannot read the invoicing service's metrics at $INVOICING_METRICS_URL"
report="$(python3 "$WORK/check_metrics.py" "$TOPIC" <<<"$metrics")" ||
  fail "invoicing metrics at $INVOICING_METRICS_URL: $report"
step "metrics: $report"

# --- down ------------------------------------------------------------------
e2e_stack_down
step "PASS: invoice on payment ($number_a, PDF with number and buyer), cancelled on rejection ($number_b), credit note on refund ($credit_number_a for $REFUND_MINOR, crediting $number_a), metrics; stack stopped"
