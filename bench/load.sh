#!/usr/bin/env bash
# Load benchmark (issue 6): with the registry of bench/import.sh loaded
# (100,000 families), wrk at 16 connections against the households list
# (page of 50, kecamatan filter), a single household read, recommendations and
# POST verification, on SQLite and PostgreSQL, each with the service's default
# settings; the service's peak resident memory under load; and,
# as the limit reference, pgbench running the SQL the list endpoint runs.
# Rerun: bash bench/import.sh && bash bench/load.sh   (DURATION=15 by default;
# ONLY_SQLITE=1 or ONLY_PG=1 for one backend; PG_DB=… another PostgreSQL
# database than rbpk_bench, as bench/scaling/province.sh does; PROGRAM_TYPE=education
# ranks a program of another type than housing; the server inherits the
# environment)
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/out
BIN="${BIN:-target/release/rbpk}"
PORT="${BENCH_PORT:-18082}"
DURATION="${DURATION:-15}"
PG_DB="${PG_DB:-rbpk_bench}"
YEAR="${BENCH_YEAR:-2041}"
CONNECTIONS=16
export RUST_LOG=warn
export RBPK_JWT_SECRET="bench-secret-bench-secret-bench-secret-42"
export DEMO_PASSWORD="bench-password-1"
BASE="http://127.0.0.1:$PORT"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN=… measures another build (an older commit's, for a before/after).
[ "$BIN" != target/release/rbpk ] || cargo build --release -q
[ -n "${ONLY_PG:-}" ] || [ -f "$OUT/bench.sqlite3" ] || { echo "run bench/import.sh first" >&2; exit 1; }

json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }

# Runs wrk on $2 with token $3 (more wrk options after it); prints
# "req/s p50 p99 non-2xx" (ms).
load() {
  local name=$1 path=$2 token=$3
  shift 3
  # Two seconds of warm-up first (caches, connections), not measured.
  wrk -t2 -c"$CONNECTIONS" -d2s -H "Authorization: Bearer $token" "$@" "$BASE$path" > /dev/null
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "$@" "$BASE$path" > "$OUT/wrk-$name.txt"
  python3 bench/lib/wrk_summary.py "$OUT/wrk-$name.txt"
}

peak_rss() { # highest VmHWM of the process, MB
  awk '/VmHWM/{print int($2/1024)}' "/proc/$1/status"
}

# Regency date (UTC+8) shifted by $1 days.
day() { python3 -c "import datetime as d; print((d.datetime.now(d.timezone.utc) + d.timedelta(hours=8)).date() + d.timedelta(days=$1))"; }

# Sets the dates of cycle $YEAR (creating it the first time).
calendar() { # token proposals_close verification_start verification_end agreement_deadline
  local body="\"proposals_close\": \"$(day "$2")\", \"verification_start\": \"$(day "$3")\", \"verification_end\": \"$(day "$4")\", \"agreement_deadline\": \"$(day "$5")\""
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/v1/cycles" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "{\"year\": $YEAR, $body}")
  [ "$status" = 201 ] || curl -sf -o /dev/null -X PATCH "$BASE/api/v1/cycles/$YEAR" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "{$body}"
}

# Logs in as one of the demo accounts; prints the access token.
login() {
  curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$DEMO_PASSWORD\"}" | json '["access_token"]'
}

run() {
  local name=$1
  RBPK_BIND="127.0.0.1:$PORT" "$BIN" serve > "$OUT/serve-load.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.2; done
  local token company verifier program household
  token=$(login bappeda); company=$(login company); verifier=$(login verifier)
  # Resident memory before any load: what the logins (argon2, 19 MiB each)
  # left behind (docs/PERFORMANCE.md, "Peak memory under load").
  local rss_logins
  rss_logins=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$pid/status")
  # A housing program of the demo company, consolidated, with 20 targets, in
  # its cycle's verification window: what field verification load looks like.
  calendar "$token" 1 2 3 4
  program=$(curl -sf -X POST "$BASE/api/v1/programs" -H "Authorization: Bearer $company" -H 'Content-Type: application/json' \
    -d "{\"cycle_year\": $YEAR, \"title\": \"load\", \"type\": \"${PROGRAM_TYPE:-housing}\", \"strategy\": \"reduce_burden\", \"budget\": 1, \"opd_code\": \"DINSOS\", \"target_regions\": [\"64.02.06\"]}" | json '["id"]')
  curl -sf -o /dev/null -X POST "$BASE/api/v1/programs/$program/transitions" -H "Authorization: Bearer $company" -H 'Content-Type: application/json' -d '{"action": "submit"}'
  calendar "$token" -1 0 1 2
  curl -sf -o /dev/null -X POST "$BASE/api/v1/programs/$program/transitions" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"action": "consolidate"}'
  local targets=()
  for hid in $(curl -sf "$BASE/api/v1/programs/$program/recommendations?limit=20" -H "Authorization: Bearer $company" | python3 -c 'import sys,json; print(" ".join(r["household"]["id"] for r in json.load(sys.stdin)))'); do
    targets+=("$(curl -sf -X POST "$BASE/api/v1/programs/$program/targets" -H "Authorization: Bearer $company" -H 'Content-Type: application/json' \
      -d "{\"household_id\": \"$hid\", \"planned_value\": 25000000}" | json '["id"]')")
  done
  # wrk posts one verification per request, cycling over the targets.
  {
    printf 'local targets = {'; printf '"%s",' "${targets[@]}"; printf '}\n'
    printf 'local today = "%s"\nlocal i = 0\n' "$(day 0)"
    cat <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local body = string.format('{"target_id": "%s", "visited_on": "%s", "result": "eligible", "notes": "load"}', targets[(i % #targets) + 1], today)
  return wrk.format(nil, "/api/v1/verifications", nil, body)
end
-- The first refusals, for the record: a verification load must not be refused.
local shown = 0
response = function(status, headers, body)
  if status >= 300 and shown < 3 then
    shown = shown + 1
    io.stderr:write(status .. " " .. body .. "\n")
  end
end
LUA
  } > "$OUT/verify.lua"
  household=$(curl -sf "$BASE/api/v1/households?region=64.02.06&per_page=1" -H "Authorization: Bearer $token" | json '["items"][0]["id"]')
  read -r l_rps l_50 l_99 l_err < <(load "$name-list" "/api/v1/households?region=64.02.06&per_page=50" "$token")
  read -r g_rps g_50 g_99 g_err < <(load "$name-get" "/api/v1/households/$household" "$token")
  read -r r_rps r_50 r_99 r_err < <(load "$name-rec" "/api/v1/programs/$program/recommendations?limit=20" "$token")
  read -r v_rps v_50 v_99 v_err < <(load "$name-verify" "/api/v1/verifications" "$verifier" -s "$OUT/verify.lua")
  local rss
  rss=$(peak_rss "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "| $name | households list (page 50, kecamatan) | $l_rps | $l_50 | $l_99 | $l_err |"
  echo "| $name | household read | $g_rps | $g_50 | $g_99 | $g_err |"
  echo "| $name | recommendations (limit 20) | $r_rps | $r_50 | $r_99 | $r_err |"
  echo "| $name | POST verification (20 targets) | $v_rps | $v_50 | $v_99 | $v_err |"
  echo "| $name | peak RSS of the service under load | $rss MB | | | |"
  echo "| $name | resident after the three logins, before any load | $rss_logins MB | | | |"
}

echo "| backend | endpoint | req/s | p50 (ms) | p99 (ms) | non-2xx |"
echo "|---|---|---|---|---|---|"
[ -n "${ONLY_PG:-}" ] || DATABASE_URL="$OUT/bench.sqlite3" run SQLite
[ -n "${ONLY_SQLITE:-}" ] && exit 0
DATABASE_URL="$PG/$PG_DB" run PostgreSQL

# The simplest SQL giving the same page and total, as pgbench runs it (and
# as the endpoint ran it until session 13): the region, a count of the
# kecamatan, a sorted page of ids, those rows, their member counts (\gset
# carries the ids over).
cat > "$OUT/list.sql" <<'SQL'
\set page random(0, 40)
SELECT * FROM regions WHERE code = '64.02.06' LIMIT 1;
SELECT count(*) FROM households WHERE (region_code >= '64.02.06' AND region_code < '64.02.06/');
SELECT string_agg(quote_literal(id), ',') AS ids FROM (SELECT id FROM households WHERE (region_code >= '64.02.06' AND region_code < '64.02.06/') ORDER BY desil ASC, id ASC LIMIT 50 OFFSET :page * 50) AS page \gset
SELECT * FROM households WHERE id IN (:ids);
SELECT household_id, count(*) FROM members WHERE household_id IN (:ids) GROUP BY household_id;
SQL
# The endpoint's SQL since session 13: the kecamatan's codes, the sum of its
# tallies, the page merged from one ordered branch per code.
branches=$(psql -tAq "$PG/$PG_DB" -c "SELECT string_agg(format('(SELECT id, desil FROM households WHERE region_code = %L ORDER BY desil, id LIMIT :end)', code), ' UNION ALL ' ORDER BY code) FROM regions WHERE code >= '64.02.06' AND code < '64.02.06/'")
cat > "$OUT/list-merged.sql" <<SQL
\set page random(0, 40)
\set end (:page + 1) * 50
SELECT * FROM regions WHERE code = '64.02.06' LIMIT 1;
SELECT code FROM regions WHERE code >= '64.02.06' AND code < '64.02.06/' ORDER BY code LIMIT 41;
SELECT families FROM household_tallies WHERE region_code >= '64.02.06' AND region_code < '64.02.06/';
SELECT string_agg(quote_literal(id), ',') AS ids FROM ($branches ORDER BY desil, id LIMIT 50 OFFSET :page * 50) AS page \gset
SELECT * FROM households WHERE id IN (:ids);
SELECT household_id, count(*) FROM members WHERE household_id IN (:ids) GROUP BY household_id;
SQL
tps() { pgbench -n -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$1" "$PG/$PG_DB" 2>/dev/null | awk '/^tps/{print int($3)}'; }
echo
echo "pgbench at $CONNECTIONS connections, pages 1–41: the simplest SQL (count, sorted page) $(tps "$OUT/list.sql") transactions/s; the endpoint's SQL (tallies, merged page) $(tps "$OUT/list-merged.sql")"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t2 -c$CONNECTIONS -d${DURATION}s on the same machine"
