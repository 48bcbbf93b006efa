# shellcheck shell=bash
# Shared by the end-to-end scripts (source it): messages, a private stack on
# free ports brought up and down with tools/dev, and the check that nothing of
# it is left running.
#
# Uses REPO and BUILD_DIR from the sourcing script. After e2e_private_stack,
# DEV_HOME, DEV_PG_PORT and DEV_PORT_BASE are exported and an EXIT trap
# stops the stack, prints the last log lines of E2E_LOG_SERVICES on failure,
# and removes DEV_HOME and E2E_CLEANUP_DIRS.

DEV="$REPO/tools/dev"
E2E_LOG_SERVICES=()
E2E_CLEANUP_DIRS=()
STACK_DOWN=0

step() { printf 'e2e: %s\n' "$*"; }
fail() {
  printf 'e2e: FAIL: %s\n' "$*" >&2
  exit 1
}

e2e_cleanup() {
  local rc=$? svc
  if ((STACK_DOWN == 0)); then
    if ((rc != 0)); then
      for svc in "${E2E_LOG_SERVICES[@]}"; do
        [[ -f "$DEV_HOME/logs/$svc.log" ]] || continue
        echo "---- last lines of the $svc service's log ----" >&2
        tail -n 30 "$DEV_HOME/logs/$svc.log" >&2 || true
        echo "----" >&2
      done
    fi
    "$DEV" down >/dev/null 2>&1 || true
  fi
  "$DEV" clean >/dev/null 2>&1 || true
  rm -rf -- "$DEV_HOME" "${E2E_CLEANUP_DIRS[@]}"
  exit "$rc"
}

# A private stack: own state directory, own ports, nothing shared with a
# developer's running stack; the binaries of BUILD_DIR, no demo data.
e2e_private_stack() {
  DEV_HOME="$(mktemp -d /tmp/store-e2e.XXXXXX)"
  read -r DEV_PG_PORT DEV_PORT_BASE < <(python3 - <<'PY'
import random, socket

def free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()

# Below the kernel's ephemeral range (32768+), so broker ports cannot collide.
for _ in range(200):
    base = random.randrange(20000, 32000 - 300, 10)
    ports = [base + i for i in range(10)] + [base + 50, base + 60, base + 70] + [base + 100 + i for i in range(10)] + [base + 200]
    if all(free(p) for p in ports):
        print(base + 200, base)
        break
else:
    raise SystemExit("no free port range found")
PY
)
  export DEV_HOME DEV_PG_PORT DEV_PORT_BASE
  export DEV_BUILD_DIR="$BUILD_DIR" DEV_SKIP_DEPS=1 DEV_SKIP_BUILD=1 DEV_SKIP_SEED=1
  # Prometheus only where a test asks for it (e2e.dashboard).
  export DEV_PROMETHEUS="${DEV_PROMETHEUS:-0}"
  trap e2e_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# `tools/dev up` on the private stack; on failure, the end of its log and out.
e2e_up() {
  step "tools/dev up (private stack in $DEV_HOME)"
  "$DEV" up >"$DEV_HOME/up.log" 2>&1 || { tail -n 40 "$DEV_HOME/up.log" >&2; fail "tools/dev up failed"; }
}

# `tools/dev down`, then fails if any process of the stack is still there.
e2e_stack_down() {
  local pg_real left
  pg_real="$(realpath -m "$DEV_HOME/pg")"
  "$DEV" down >/dev/null || fail "tools/dev down failed"
  STACK_DOWN=1
  left="$(python3 - "$DEV_HOME" "$pg_real" "$$" <<'PY'
import os, sys
home, pg_dir, me = sys.argv[1], sys.argv[2], {sys.argv[3], str(os.getpid()), str(os.getppid())}
marker = b"STORE_DEV_STACK_ID=" + home.encode()
left = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    if pid in me:
        continue
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        continue
    if marker in env or home in cmd or pg_dir in cmd:
        left.append(f"{pid}: {cmd.strip()}")
print("\n".join(left))
PY
)"
  [[ -z "$left" ]] || fail "processes of the stack still running after tools/dev down:
$left"
  step "tools/dev down: no process of the stack is left"
}

# Prints the field at a dotted path of the JSON document on stdin ("" if absent).
json_get() {
  python3 -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value.get(key, "") if isinstance(value, dict) else ""
print(value)' "$1"
}

# Runs `storectl --json ARGS` (STORECTL from the sourcing script) and prints
# its stdout; fails the test on error, with storectl's message.
storectl_json() {
  local out err
  err="$(mktemp)"
  if ! out="$("$STORECTL" --json "$@" 2>"$err")"; then
    fail "storectl $* failed: $(cat "$err") $out"
  fi
  rm -f "$err"
  printf '%s' "$out"
}

# ---- HTTP through the gateway (GATEWAY_URL) and the maildir (MAILDIR) ----

# http METHOD PATH [BODY] [extra curl args...]: sets CODE and BODY.
http() {
  local method="$1" path="$2" data="${3:-}" out
  shift 3 || shift $#
  out="$(mktemp)"
  local args=(-sS -o "$out" -w '%{http_code}' -X "$method" "$GATEWAY_URL$path")
  [[ -n "$data" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  CODE="$(curl "${args[@]}" "$@")"
  BODY="$(cat "$out")"
  rm -f "$out"
}
expect() { [[ "$CODE" == "$1" ]] || fail "$2: expected HTTP $1, got $CODE: $BODY"; }
auth() { printf 'Authorization: Bearer %s' "$1"; }

# mails_to ADDRESS [NEEDLE]: the decoded text of every mail to ADDRESS in
# the maildir (each followed by a line "=== END"), optionally only those
# containing NEEDLE.
mails_to() {
  /usr/bin/python3 - "$MAILDIR" "$1" "${2:-}" <<'PY'
import email, email.policy, mailbox, sys
box = mailbox.Maildir(sys.argv[1], create=False)
for key in sorted(box.keys()):
    msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    if sys.argv[2] not in str(msg["To"]):
        continue
    parts = [p.get_content() for p in msg.walk() if p.get_content_type() in ("text/plain", "text/html")]
    text = "Subject: %s\nList-Unsubscribe: %s\n%s" % (msg["Subject"], msg["List-Unsubscribe"], "\n".join(parts))
    if sys.argv[3] and sys.argv[3] not in text:
        continue
    print(text)
    print("=== END")
PY
}
# wait_mails ADDRESS N [NEEDLE]: waits until N mails to ADDRESS arrived.
wait_mails() {
  local deadline=$(($(date +%s) + DEADLINE_S)) n
  while :; do
    n="$(mails_to "$1" "${3:-}" | grep -c '^=== END$' || true)"
    ((n >= $2)) && return 0
    (($(date +%s) < deadline)) || fail "expected $2 mail(s) to $1${3:+ containing '$3'} within ${DEADLINE_S}s, got $n"
    sleep 0.2
  done
}
