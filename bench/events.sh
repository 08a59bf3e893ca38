#!/usr/bin/env bash
# Benchmark of the event outbox (issue 16, item 5): what emitting an event
# adds to a write (p50/p95, alternating runs), and events per second through
# the outbox to a local receiver, on a fresh SQLite file and a fresh
# PostgreSQL database (dropped at the end). Figures: docs/PERFORMANCE.md.
#
#   bash bench/events.sh            # N=2000 writes each way, E=5000 events
# Settings (env): N, E, BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-2000}"
E="${E:-5000}"
PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/out/events
mkdir -p "$OUT"
PG_DB=""
cleanup() {
  set +e
  [ -n "$PG_DB" ] && psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q --example outbox
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"

echo "== SQLite"
rm -f "$OUT/events.sqlite3"*
DATABASE_URL="$OUT/events.sqlite3" target/release/examples/outbox "$N" "$E"

echo "== PostgreSQL"
PG_DB="rbpk_events_$$_$RANDOM"
psql -q "$PG/postgres" -c "CREATE DATABASE $PG_DB"
DATABASE_URL="$PG/$PG_DB" target/release/examples/outbox "$N" "$E"
