#!/usr/bin/env bash
# Recommendation benchmark (issue 4): over the registry that bench/import.sh
# loaded (100,000 families), time GET /programs/{id}/recommendations?limit=20
# for a housing, an education, an economic and a food program of the demo
# company (the last three rank on member facts; working area:
# two kecamatan), as Bappeda and as the company (which also records what it was
# shown and audits the read), on SQLite and PostgreSQL. Rerun:
#   bash bench/import.sh && bash bench/recommendations.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/out
BIN=target/release/rbpk
PORT="${BENCH_PORT:-18081}"
N="${REQUESTS:-200}"
export RUST_LOG=warn
export RBPK_JWT_SECRET="bench-secret-bench-secret-bench-secret-42"
export DEMO_PASSWORD="bench-password-1"
BASE="http://127.0.0.1:$PORT"
cargo build --release -q

token() {
  curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$DEMO_PASSWORD\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])'
}

# p50 and p95 of N requests to $1 with token $2.
timed() {
  for _ in $(seq 1 "$N"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $2" "$1"
  done | python3 -c '
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin)
print(f"{statistics.median(t):.1f} {t[int(len(t) * 0.95) - 1]:.1f}")'
}

run() {
  local name=$1
  RBPK_BIND="127.0.0.1:$PORT" "$BIN" serve > "$OUT/serve-rec.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.2; done
  local bappeda company
  bappeda=$(token bappeda)
  company=$(token company)
  local year=2040
  curl -s -o /dev/null -X POST "$BASE/api/v1/cycles" -H "Authorization: Bearer $bappeda" -H 'Content-Type: application/json' -d "{\"year\": $year}"
  local households
  households=$(curl -s "$BASE/api/v1/households?per_page=1" -H "Authorization: Bearer $bappeda" | python3 -c 'import sys,json; print(json.load(sys.stdin)["total"])')
  for type in housing education economic food; do
    local id
    id=$(curl -s -X POST "$BASE/api/v1/programs" -H "Authorization: Bearer $company" -H 'Content-Type: application/json' \
      -d "{\"cycle_year\": $year, \"title\": \"bench $type\", \"type\": \"$type\", \"strategy\": \"reduce_burden\", \"budget\": 1}" \
      | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
    read -r b50 b95 < <(timed "$BASE/api/v1/programs/$id/recommendations?limit=20" "$bappeda")
    read -r c50 c95 < <(timed "$BASE/api/v1/programs/$id/recommendations?limit=20" "$company")
    echo "| $name | $households | $type | $b50 | $b95 | $c50 | $c95 |"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "| backend | families | program type | bappeda p50 (ms) | bappeda p95 (ms) | company p50 (ms) | company p95 (ms) |"
echo "|---|---|---|---|---|---|---|"
DATABASE_URL="$OUT/bench.sqlite3" run SQLite
DATABASE_URL="$PG/rbpk_bench" run PostgreSQL
echo
echo "$N sequential requests each (curl time_total, includes HTTP); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
