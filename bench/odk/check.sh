#!/usr/bin/env bash
# ODK/KoBo forms (issue 14, item 3), checked by the tools the field uses:
# the release server on a fresh SQLite file with the demo registry, a
# consolidated program with targets seeded through the API, its XLSForm
# from GET /programs/{id}/verification-form converted by pyxform's
# `xls2xform` (PyPI, pinned) with ODK Validate (the JavaRosa engine of ODK
# Collect, bundled with pyxform; needs Java); then an ODK Central CSV export
# written from the converted XForm's own field names is sent to
# POST /verification-submissions: every row recorded, and a resend all
# duplicates. Fails on any error; never skips.
#
#   bash bench/odk/check.sh
# Settings (env): ODK_PORT=18097, RBPK_BIN (default target/release/rbpk,
#   built when missing), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT="${ODK_PORT:-18097}"
BASE="http://127.0.0.1:$PORT"
BIN="${RBPK_BIN:-target/release/rbpk}"
OUT=bench/out/odk
VENV=bench/out/venv-odk
PASSWORD="odk-check-password-1"
export RBPK_JWT_SECRET="odk-check-secret-odk-check-secret-0042"
export DEMO_PASSWORD="$PASSWORD"
export RUST_LOG=warn

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
SERVER=""
stop() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=""; }
trap stop EXIT

if [ -z "${SKIP_BUILD:-}" ] && [ "$BIN" = target/release/rbpk ]; then
  cargo build --release -q
fi
[ -x "$BIN" ] || fail "no binary at $BIN"
command -v java >/dev/null || fail "ODK Validate needs Java (apt-get install default-jre-headless)"
if ! "$VENV/bin/xls2xform" --help >/dev/null 2>&1; then
  echo "== install pyxform 4.5.0 from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'pyxform==4.5.0'
fi

rm -rf "$OUT"; mkdir -p "$OUT"
export DATABASE_URL="$OUT/odk.sqlite3"
export RBPK_OBJECT_STORE="$PWD/$OUT/objects"
RBPK_BIND="127.0.0.1:$PORT" "$BIN" serve > "$OUT/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$BASE/health/ready" >/dev/null || fail "the server did not start (see $OUT/serve.log)"

timeout 600 python3 bench/odk/check.py "$BASE" "$PASSWORD" "$VENV/bin/xls2xform" "$OUT"
