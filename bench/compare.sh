#!/usr/bin/env bash
# Peer benchmark (issue 17, item 6): the household list of this service
# beside Directus 12.4.0 — the data-API server a regency would otherwise
# pick — on the same rows, and beside pgbench running the simplest SQL that
# gives the same page and total.
#
# Installs Directus 12.4.0 from npm into bench/out/directus (once), gives it
# a copy of the PostgreSQL registry of bench/import.sh (rbpk_bench →
# rbpk_directus, where it adds its own directus_* tables), and runs, on one
# machine with wrk -t2 -c16, ROUNDS alternating rounds of DURATION seconds:
#   ours:     GET /api/v1/households?region=64.02.06&per_page=50&page=N
#   Directus: GET /items/households?filter[region_code][_starts_with]=64.02.06
#             &sort=desil,id&limit=50&page=N&meta=filter_count
#             (its text fields take no _gte/_lt: the prefix is its way)
# (page N cycles over 1..40 in both), both as an administrator, both with
# the page's total; then pgbench on the count and the page. Prints req/s,
# p50/p99 per round and the ratios.
#
# With DB=sqlite both serve copies of the SQLite registry of bench/import.sh
# instead (Directus through its sqlite3 driver; no pgbench then).
#
# Rerun: bash bench/import.sh && bash bench/compare.sh   (DURATION=15, ROUNDS=2; DB=sqlite)
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/out
BIN=target/release/rbpk
DURATION="${DURATION:-15}"
ROUNDS="${ROUNDS:-2}"
OURS_PORT="${BENCH_PORT:-18083}"
DIRECTUS_PORT="${DIRECTUS_PORT:-18055}"
DIRECTUS_VERSION=12.4.0
CONNECTIONS=16
REGION=64.02.06
DB="${DB:-pg}"
export RUST_LOG=warn
export RBPK_JWT_SECRET="bench-secret-bench-secret-bench-secret-42"
export DEMO_PASSWORD="bench-password-1"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
case "$DB" in
  pg) psql -tAq "$PG/postgres" -c "SELECT 1 FROM pg_database WHERE datname = 'rbpk_bench'" | grep -q 1 \
        || { echo "no rbpk_bench database: run bench/import.sh first" >&2; exit 1; } ;;
  sqlite) [ -f "$OUT/bench.sqlite3" ] || { echo "no $OUT/bench.sqlite3: run bench/import.sh first" >&2; exit 1; } ;;
  *) echo "DB is pg or sqlite" >&2; exit 2 ;;
esac
# Runs SQL ($2) on a SQLite file ($1) and prints the first column of the first row.
sqlite() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchone(); c.commit(); print(r[0] if r else "")' "$@"; }

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

echo "== Directus $DIRECTUS_VERSION from npm (bench/out/directus)"
# Directus 12 declares Node.js >= 22 but runs on the machine's 20 (npm warns
# EBADENGINE); on 22 its isolated-vm, shipped built for 20, does not load.
mkdir -p "$OUT/directus"
if [ ! -x "$OUT/directus/node_modules/.bin/directus" ] \
  || [ "$(node -p "require('./$OUT/directus/node_modules/directus/package.json').version")" != "$DIRECTUS_VERSION" ]; then
  [ -f "$OUT/directus/package.json" ] || echo '{"name": "directus-peer", "private": true}' > "$OUT/directus/package.json"
  (cd "$OUT/directus" && npm install --no-audit --no-fund "directus@$DIRECTUS_VERSION")
fi

COUNT_FAMILIES="SELECT count(*) FROM households"
COUNT_IN_REGION="SELECT count(*) FROM households WHERE region_code >= '$REGION' AND region_code < '$REGION/'"
if [ "$DB" = pg ]; then
  echo "== the same rows for Directus: rbpk_bench copied to rbpk_directus"
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS rbpk_directus" -c "CREATE DATABASE rbpk_directus TEMPLATE rbpk_bench"
  # Directus filters a prefix with LIKE, which under the database's C.UTF-8
  # collation uses no ordinary index: give it the one a Directus admin would
  # add, so it is measured at its best.
  psql -q "$PG/rbpk_directus" -c "CREATE INDEX households_region_prefix ON households (region_code text_pattern_ops)"
  FAMILIES=$(psql -tAq "$PG/rbpk_bench" -c "$COUNT_FAMILIES")
  IN_REGION=$(psql -tAq "$PG/rbpk_bench" -c "$COUNT_IN_REGION")
  OURS_URL="$PG/rbpk_bench"
  export DB_CLIENT=pg DB_CONNECTION_STRING="$PG/rbpk_directus"
else
  echo "== the same rows for Directus: bench.sqlite3 copied to directus.sqlite3"
  sqlite "$OUT/bench.sqlite3" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
  rm -f "$OUT"/directus.sqlite3*
  cp "$OUT/bench.sqlite3" "$OUT/directus.sqlite3"
  # SQLite's LIKE is case-insensitive: a prefix uses only a NOCASE index.
  sqlite "$OUT/directus.sqlite3" "CREATE INDEX households_region_prefix ON households (region_code COLLATE NOCASE)" > /dev/null
  FAMILIES=$(sqlite "$OUT/bench.sqlite3" "$COUNT_FAMILIES")
  IN_REGION=$(sqlite "$OUT/bench.sqlite3" "$COUNT_IN_REGION")
  OURS_URL="$OUT/bench.sqlite3"
  export DB_CLIENT=sqlite3 DB_FILENAME="$OUT/directus.sqlite3"
fi
export KEY=bench-directus-key SECRET=bench-directus-secret-bench-directus-secret \
  ADMIN_EMAIL=bench@example.org ADMIN_PASSWORD=bench-password-1 \
  PORT="$DIRECTUS_PORT" HOST=127.0.0.1 LOG_LEVEL=warn TELEMETRY=false \
  CACHE_ENABLED=false RATE_LIMITER_ENABLED=false \
  DB_POOL__MIN=2 DB_POOL__MAX=8 ACCESS_TOKEN_TTL=2h
directus() { node "$OUT/directus/node_modules/directus/cli.js" "$@"; }
directus bootstrap > "$OUT/directus-bootstrap.log" 2>&1 \
  || { tail -20 "$OUT/directus-bootstrap.log" >&2; exit 1; }

start_directus() {
  local t0; t0=$(date +%s.%N)
  node "$OUT/directus/node_modules/directus/cli.js" start > "$OUT/directus.log" 2>&1 &
  DIRECTUS_PID=$!; PIDS+=("$DIRECTUS_PID")
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$DIRECTUS_PORT/server/ping" >/dev/null && break; sleep 0.1; done
  DIRECTUS_READY=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")
}
start_ours() {
  local t0; t0=$(date +%s.%N)
  DATABASE_URL="$OURS_URL" RBPK_BIND="127.0.0.1:$OURS_PORT" "$BIN" serve > "$OUT/serve-compare.log" 2>&1 &
  OURS_PID=$!; PIDS+=("$OURS_PID")
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$OURS_PORT/health/ready" >/dev/null && break; sleep 0.05; done
  OURS_READY=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")
}
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }

start_ours
# Both databases vacuumed and analyzed, as autovacuum would have (it is off
# on the benchmark machine; a first start may have written demo data).
if [ "$DB" = pg ]; then
  for db in rbpk_bench rbpk_directus; do
    psql -q "$PG/$db" -c "VACUUM (ANALYZE) households, members, household_datasets"
  done
else
  sqlite "$OUT/directus.sqlite3" "ANALYZE" > /dev/null
fi
start_directus
OURS_TOKEN=$(curl -sf -X POST "http://127.0.0.1:$OURS_PORT/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bappeda\",\"password\":\"$DEMO_PASSWORD\"}" | json '["access_token"]')
DIRECTUS_TOKEN=$(curl -sf -X POST "http://127.0.0.1:$DIRECTUS_PORT/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | json '["data"]["access_token"]')

OURS_PATH="/api/v1/households?region=$REGION&per_page=50"
DIRECTUS_PATH="/items/households?filter%5Bregion_code%5D%5B_starts_with%5D=$REGION&sort=desil,id&limit=50&meta=filter_count"

# Both answer the same page with the same total: checked before timing.
ours_total=$(curl -sf "http://127.0.0.1:$OURS_PORT$OURS_PATH&page=2" -H "Authorization: Bearer $OURS_TOKEN" | json '["total"]')
directus_total=$(curl -sf "http://127.0.0.1:$DIRECTUS_PORT$DIRECTUS_PATH&page=2" -H "Authorization: Bearer $DIRECTUS_TOKEN" | json '["meta"]["filter_count"]')
ours_ids=$(curl -sf "http://127.0.0.1:$OURS_PORT$OURS_PATH&page=2" -H "Authorization: Bearer $OURS_TOKEN" | python3 -c 'import sys,json; print(",".join(h["id"] for h in json.load(sys.stdin)["items"]))')
directus_ids=$(curl -sf "http://127.0.0.1:$DIRECTUS_PORT$DIRECTUS_PATH&page=2" -H "Authorization: Bearer $DIRECTUS_TOKEN" | python3 -c 'import sys,json; print(",".join(h["id"] for h in json.load(sys.stdin)["data"]))')
echo "total in $REGION: ours $ours_total, Directus $directus_total, the database $IN_REGION"
[ "$ours_total" = "$IN_REGION" ] && [ "$directus_total" = "$IN_REGION" ] || { echo "the totals differ" >&2; exit 1; }
[ "$ours_ids" = "$directus_ids" ] || { echo "page 2 differs between the two" >&2; exit 1; }

# wrk with a page cycling over 1..40; prints "req/s p50 p99 non-2xx".
cat > "$OUT/compare-pages.lua" <<'LUA'
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, wrk.path .. "&page=" .. ((i % 40) + 1))
end
LUA
load() { # name port path token
  wrk -t2 -c"$CONNECTIONS" -d2s -H "Authorization: Bearer $4" -s "$OUT/compare-pages.lua" "http://127.0.0.1:$2$3" > /dev/null
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $4" -s "$OUT/compare-pages.lua" \
    "http://127.0.0.1:$2$3" > "$OUT/wrk-compare-$1.txt"
  python3 bench/lib/wrk_summary.py "$OUT/wrk-compare-$1.txt"
}

cat > "$OUT/compare.sql" <<SQL
\set page random(0, 39)
SELECT count(*) FROM households WHERE region_code >= '$REGION' AND region_code < '$REGION/';
SELECT * FROM households WHERE region_code >= '$REGION' AND region_code < '$REGION/' ORDER BY desil, id LIMIT 50 OFFSET :page * 50;
SQL

echo
echo "| round | server | req/s | p50 (ms) | p99 (ms) | non-2xx |"
echo "|---|---|---|---|---|---|"
OURS_RPS=(); DIRECTUS_RPS=()
for round in $(seq 1 "$ROUNDS"); do
  read -r rps p50 p99 err < <(load "ours-$round" "$OURS_PORT" "$OURS_PATH" "$OURS_TOKEN")
  echo "| $round | rbpk | $rps | $p50 | $p99 | $err |"; OURS_RPS+=("$rps")
  read -r rps p50 p99 err < <(load "directus-$round" "$DIRECTUS_PORT" "$DIRECTUS_PATH" "$DIRECTUS_TOKEN")
  echo "| $round | Directus $DIRECTUS_VERSION | $rps | $p50 | $p99 | $err |"; DIRECTUS_RPS+=("$rps")
done
# pgbench alone on the machine, as the servers are.
kill "$OURS_PID" "$DIRECTUS_PID" 2>/dev/null || true
wait "$OURS_PID" "$DIRECTUS_PID" 2>/dev/null || true
if [ "$DB" = sqlite ]; then
  python3 - "${OURS_RPS[*]}" "${DIRECTUS_RPS[*]}" <<'PY'
import sys
ours = [float(x) for x in sys.argv[1].split()]
theirs = [float(x) for x in sys.argv[2].split()]
print()
print(f"rbpk / Directus (SQLite): {sum(ours) / sum(theirs):.1f}x (per round: "
      + ", ".join(f"{o / t:.1f}x" for o, t in zip(ours, theirs)) + ")")
PY
  echo "cold start to ready: rbpk ${OURS_READY} s, Directus ${DIRECTUS_READY} s"
  echo "rows: $FAMILIES families, $IN_REGION in $REGION (SQLite)"
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t2 -c$CONNECTIONS -d${DURATION}s, $ROUNDS alternating rounds"
  exit 0
fi
TPS=$(pgbench -n -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$OUT/compare.sql" "$PG/rbpk_bench" 2>/dev/null | awk '/^tps/{print int($3)}')
TPS_PREPARED=$(pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$OUT/compare.sql" "$PG/rbpk_bench" 2>/dev/null | awk '/^tps/{print int($3)}')

python3 - "$TPS" "$TPS_PREPARED" "${OURS_RPS[*]}" "${DIRECTUS_RPS[*]}" <<'PY'
import sys
tps, prepared = int(sys.argv[1]), int(sys.argv[2])
ours = [float(x) for x in sys.argv[3].split()]
theirs = [float(x) for x in sys.argv[4].split()]
mean = lambda v: sum(v) / len(v)
print()
print(f"pgbench, the simplest SQL (count + page): {tps} tps ({prepared} prepared)")
print(f"rbpk / Directus: {mean(ours) / mean(theirs):.1f}x (per round: "
      + ", ".join(f"{o / t:.1f}x" for o, t in zip(ours, theirs)) + ")")
print(f"rbpk / pgbench: {mean(ours) / tps:.2f}x")
PY
echo "cold start to ready: rbpk ${OURS_READY} s, Directus ${DIRECTUS_READY} s"
echo "rows: $FAMILIES families, $IN_REGION in $REGION"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t2 -c$CONNECTIONS -d${DURATION}s, $ROUNDS alternating rounds"
