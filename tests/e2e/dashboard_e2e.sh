#!/usr/bin/env bash
# End to end: what the SRE sees (OPS-02, OPS-03, OPS-09) on the real local stack.
#
#   1. `tools/dev up` on a private stack with the demo store and Prometheus
#      (Debian's), which scrapes every service and the gateway with the repo's
#      alert rules; .dev/env names it (PROMETHEUS_URL);
#   2. a little traffic through the gateway;
#   3. every query of every Grafana dashboard (deploy/grafana) returns series
#      (dashboard_check.py: a panel that shows nothing is a bug), the alert
#      rules are loaded and every target (5 services + the gateway) is up;
#   4. `tools/dev down` stops Prometheus too, and no process is left.
# Every wait is a deadline loop (E2E_EVENT_DEADLINE_S, default 90 s).
set -euo pipefail
shopt -s inherit_errexit

REPO="${STORE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
BUILD_DIR="${STORE_BUILD_DIR:-$REPO/build}"
DEADLINE_S="${E2E_EVENT_DEADLINE_S:-90}"

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

command -v prometheus >/dev/null || { echo "prometheus not found (apt-get install prometheus)"; exit 77; }
command -v curl >/dev/null || fail "curl is not installed (tools/dev deps)"

export DEV_PROMETHEUS=1
e2e_private_stack
export DEV_SKIP_SEED=0  # the demo store: orders, invoices, mails, reports
E2E_LOG_SERVICES=(prometheus gateway)

e2e_up
# shellcheck disable=SC1091
source "$DEV_HOME/env"
[[ -n "${PROMETHEUS_URL:-}" ]] || fail "tools/dev up wrote no PROMETHEUS_URL into $DEV_HOME/env"
grep -q "prometheus" "$DEV_HOME/up.log" || fail "tools/dev up did not say where Prometheus is"

step "traffic through the gateway"
for _ in 1 2 3; do
  curl -fsS -o /dev/null "$GATEWAY_URL/v1/orders?pageSize=5" -H "Authorization: Bearer $STAFF_TOKEN" ||
    fail "listing orders through the gateway"
done
curl -sS -o /dev/null "$GATEWAY_URL/v1/orders/00000000-0000-0000-0000-000000000000" \
  -H "Authorization: Bearer $STAFF_TOKEN"

step "every dashboard query returns series; rules loaded; targets up (up to ${DEADLINE_S}s)"
# rate() needs two scrapes (5 s apart) after the traffic: wait for the check
# to pass, not for a fixed time.
deadline=$(($(date +%s) + DEADLINE_S))
until python3 "$REPO/tests/e2e/dashboard_check.py" "$PROMETHEUS_URL" "$REPO"/deploy/grafana/*.json \
        --expect-targets 6 >"$DEV_HOME/dashboard.out" 2>&1; do
  if (($(date +%s) >= deadline)); then
    cat "$DEV_HOME/dashboard.out" >&2
    fail "dashboard queries without series after ${DEADLINE_S}s"
  fi
  sleep 2
done
cat "$DEV_HOME/dashboard.out"

step "tools/dev down"
e2e_stack_down
step "passed"
