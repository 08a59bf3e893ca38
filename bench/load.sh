#!/usr/bin/env bash
# Load benchmark (issue 6): with the registry of bench/import.sh loaded
# (100,000 families), wrk at 16 connections against the households list
# (page of 50, kecamatan filter), a single household read and recommendations,
# on SQLite and PostgreSQL; the service's peak resident memory under load; and,
# as the limit reference, pgbench running the SQL the list endpoint runs.
# Rerun: bash bench/import.sh && bash bench/load.sh   (DURATION=15 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/out
BIN=target/release/rbpk
PORT="${BENCH_PORT:-18082}"
DURATION="${DURATION:-15}"
CONNECTIONS=16
export RUST_LOG=warn
export RBPK_JWT_SECRET="bench-secret-bench-secret-bench-secret-42"
export DEMO_PASSWORD="bench-password-1"
BASE="http://127.0.0.1:$PORT"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
[ -f "$OUT/bench.sqlite3" ] || { echo "run bench/import.sh first" >&2; exit 1; }

json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }

# Runs wrk on $2 with token $3; prints "req/s p50 p99" (ms).
load() {
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $3" "$BASE$2" > "$OUT/wrk-$1.txt"
  python3 - "$OUT/wrk-$1.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def ms(label):
    m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {ms('50'):.1f} {ms('99'):.1f} {errors.group(1) if errors else 0}")
PY
}

peak_rss() { # highest VmHWM of the process, MB
  awk '/VmHWM/{print int($2/1024)}' "/proc/$1/status"
}

run() {
  local name=$1
  RBPK_BIND="127.0.0.1:$PORT" RBPK_DB_POOL_SIZE=16 "$BIN" serve > "$OUT/serve-load.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.2; done
  local token company year=2041
  token=$(curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' -d "{\"username\":\"bappeda\",\"password\":\"$DEMO_PASSWORD\"}" | json '["access_token"]')
  company=$(curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' -d "{\"username\":\"company\",\"password\":\"$DEMO_PASSWORD\"}" | json '["access_token"]')
  curl -s -o /dev/null -X POST "$BASE/api/v1/cycles" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "{\"year\": $year}"
  local program household
  program=$(curl -s -X POST "$BASE/api/v1/programs" -H "Authorization: Bearer $company" -H 'Content-Type: application/json' \
    -d "{\"cycle_year\": $year, \"title\": \"load\", \"type\": \"housing\", \"strategy\": \"reduce_burden\", \"budget\": 1}" | json '["id"]')
  household=$(curl -s "$BASE/api/v1/households?region=64.02.06&per_page=1" -H "Authorization: Bearer $token" | json '["items"][0]["id"]')
  read -r l_rps l_50 l_99 l_err < <(load "$name-list" "/api/v1/households?region=64.02.06&per_page=50" "$token")
  read -r g_rps g_50 g_99 g_err < <(load "$name-get" "/api/v1/households/$household" "$token")
  read -r r_rps r_50 r_99 r_err < <(load "$name-rec" "/api/v1/programs/$program/recommendations?limit=20" "$token")
  local rss
  rss=$(peak_rss "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "| $name | households list (page 50, kecamatan) | $l_rps | $l_50 | $l_99 | $l_err |"
  echo "| $name | household read | $g_rps | $g_50 | $g_99 | $g_err |"
  echo "| $name | recommendations (limit 20) | $r_rps | $r_50 | $r_99 | $r_err |"
  echo "| $name | peak RSS of the service under load | $rss MB | | | |"
}

echo "| backend | endpoint | req/s | p50 (ms) | p99 (ms) | non-2xx |"
echo "|---|---|---|---|---|---|"
DATABASE_URL="$OUT/bench.sqlite3" run SQLite
DATABASE_URL="$PG/rbpk_bench" run PostgreSQL

# The list endpoint's SQL, as pgbench runs it: count, page, member counts.
cat > "$OUT/list.sql" <<'SQL'
\set page random(0, 40)
SELECT count(*) FROM households WHERE (region_code >= '64.02.06' AND region_code < '64.02.06/');
SELECT * FROM households WHERE (region_code >= '64.02.06' AND region_code < '64.02.06/') ORDER BY desil ASC, id ASC LIMIT 50 OFFSET :page * 50;
SELECT household_id, count(*) FROM members WHERE household_id IN (SELECT id FROM households WHERE (region_code >= '64.02.06' AND region_code < '64.02.06/') ORDER BY desil ASC, id ASC LIMIT 50 OFFSET :page * 50) GROUP BY household_id;
SQL
tps=$(pgbench -n -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$OUT/list.sql" "$PG/rbpk_bench" 2>/dev/null | awk '/^tps/{print int($3)}')
echo
echo "pgbench, the list endpoint's SQL at $CONNECTIONS connections: $tps transactions/s"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t2 -c$CONNECTIONS -d${DURATION}s on the same machine"
