#!/usr/bin/env bash
# Fault: webhooks under failure (issue 16, item 4), against the release
# binary on a fresh PostgreSQL database (dropped at the end):
#   1. the receiver is down while events happen, then comes back: every event
#      arrives, in the feed's order, none twice, two instances delivering;
#   2. both instances are killed with SIGKILL mid-delivery to a slow
#      receiver and restarted: every undelivered event goes out (at least
#      once: the one in flight may come again, never twice at once).
# The receiver (bench/faults/webhook_receiver.py) checks every signature
# with the `standardwebhooks` package from PyPI, independent of our code.
#
#   bash bench/faults/webhooks.sh
# Settings (env): WEBHOOK_PORTS="18094 18095", RECEIVER_PORT=18096,
#   FAULT_POSTGRES_URL=postgres://postgres@127.0.0.1:5432,
#   RBPK_BIN (default target/release/rbpk, built when missing), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

read -r PORT_A PORT_B <<< "${WEBHOOK_PORTS:-18094 18095}"
RPORT="${RECEIVER_PORT:-18096}"
PG="${FAULT_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
BIN="${RBPK_BIN:-target/release/rbpk}"
OUT=bench/out/faults
VENV=bench/out/venv-webhooks
PASSWORD="webhook-fault-password-1"
export RBPK_JWT_SECRET="webhook-fault-secret-webhook-fault-0042"
export DEMO_PASSWORD="$PASSWORD"
export RUST_LOG=warn
# The receiver is on loopback and plain http; a day of retries in seconds;
# a lease of 11 × the timeout, so a killed instance's claims lapse in 5.5 s.
export RBPK_WEBHOOK_ALLOW_HOSTS="127.0.0.1:$RPORT"
export RBPK_WEBHOOK_RETRY_SCALE=0.0005
export RBPK_WEBHOOK_TIMEOUT_MS=500
export RBPK_WEBHOOK_POLL_MS=100

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

PG_DB=""
cleanup() {
  set +e
  pkill -f "webhook_receiver.py $RPORT" 2>/dev/null
  [ -n "$PG_DB" ] && psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
rm -f "$OUT/webhooks.received.jsonl" "$OUT"/webhooks.serve-*.log
if [ -z "${SKIP_BUILD:-}" ] && [ "$BIN" = target/release/rbpk ]; then
  say "build (release)"
  cargo build --release -q
fi
[ -x "$BIN" ] || fail "no binary at $BIN"

if ! "$VENV/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
  say "install standardwebhooks 1.1 from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'standardwebhooks==1.1.0'
fi

say "fresh PostgreSQL database"
PG_DB="rbpk_hooks_$$_$RANDOM"
psql -q "$PG/postgres" -c "CREATE DATABASE $PG_DB" || fail "cannot create $PG_DB on $PG"
export DATABASE_URL="$PG/$PG_DB"

timeout 600 "$VENV/bin/python" bench/faults/webhooks.py "$BIN" "$OUT" "$RPORT" "$PORT_A" "$PORT_B" "$PASSWORD"
