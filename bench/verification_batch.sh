#!/usr/bin/env bash
# Offline visits synced in one batch (issue 14, item 1): the release server
# on SQLite and on PostgreSQL, a registry imported from `rbpk demo-data`, a
# program with 500 targets seeded through the API, then one 500-item
# POST /api/v1/verifications/batch timed (goal: under 2 s) and its resend
# (every item a duplicate). Prints a table for docs/PERFORMANCE.md.
#
#   bash bench/verification_batch.sh
# Settings (env): FAMILIES=3000, BENCH_PORT=18085,
#   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432, SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."

FAMILIES="${FAMILIES:-3000}"
PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/out/verification-batch
DATA="bench/out/data-p3ke-$FAMILIES"
BIN=target/release/rbpk
PORT="${BENCH_PORT:-18085}"
BASE="http://127.0.0.1:$PORT"
export RUST_LOG=warn
export RBPK_JWT_SECRET="bench-secret-bench-secret-bench-secret-42"
export DEMO_PASSWORD="bench-password-1"
export RBPK_OBJECT_STORE="$PWD/$OUT/objects"

mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || { echo "== build (release)"; cargo build --release -q; }
if [ ! -f "$DATA/done" ]; then
  "$BIN" demo-data --format p3ke --families "$FAMILIES" --out "$DATA" >/dev/null
  touch "$DATA/done"
fi

SERVER=""
stop() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=""; }
trap stop EXIT

run_backend() {
  "$BIN" migrate >/dev/null
  "$BIN" import --format p3ke "$DATA/p3ke_keluarga.csv" "$DATA/p3ke_individu.csv" >/dev/null
  RBPK_BIND="127.0.0.1:$PORT" "$BIN" serve > "$OUT/serve-$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.2; done
  python3 bench/verification_batch.py "$BASE" "$DEMO_PASSWORD" 2030
  stop
}

echo "== SQLite"
rm -f "$OUT"/bench.sqlite3*
export DATABASE_URL="$OUT/bench.sqlite3"
read -r S_FIRST S_AGAIN S_CREATED S_DUP < <(run_backend sqlite)

echo "== PostgreSQL"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS rbpk_vbatch" -c "CREATE DATABASE rbpk_vbatch"
export DATABASE_URL="$PG/rbpk_vbatch"
read -r P_FIRST P_AGAIN P_CREATED P_DUP < <(run_backend postgres)

cat <<REPORT

| backend | items | created | first POST (s) | resend: duplicates | resend (s) |
|---|---|---|---|---|---|
| SQLite | 500 | $S_CREATED | $S_FIRST | $S_DUP | $S_AGAIN |
| PostgreSQL | 500 | $P_CREATED | $P_FIRST | $P_DUP | $P_AGAIN |

goal: a 500-item batch under 2 s
machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
REPORT
