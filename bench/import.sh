#!/usr/bin/env bash
# Import benchmark (issues 3, 13): FAMILIES synthetic families (~4 members
# each) from `rbpk demo-data` files — P3KE CSV files, or with FORMAT=dtsen a
# DTSEN snapshot (pipe-separated family and member files, XLSX code books) —
# imported with `rbpk import` (the endpoint's code) into a fresh SQLite file
# and a fresh PostgreSQL database; wall time and peak memory from
# /usr/bin/time. Reference: psql \copy of the same rows into the same tables.
# Then a paged, kecamatan-filtered household list over the registry, timed
# through HTTP.
# Rerun: bash bench/import.sh   (FAMILIES=... to resize; FORMAT=dtsen FAMILIES=270000 for a Kukar snapshot)
set -euo pipefail
cd "$(dirname "$0")/.."

FAMILIES="${FAMILIES:-100000}"
FORMAT="${FORMAT:-p3ke}"
PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/out
DATA="$OUT/data-$FORMAT-$FAMILIES"
BIN=target/release/rbpk
PORT="${BENCH_PORT:-18080}"
export RUST_LOG=warn
export RBPK_JWT_SECRET="bench-secret-bench-secret-bench-secret-42"
export DEMO_PASSWORD="bench-password-1"

mkdir -p "$OUT"
echo "== build (release)"
cargo build --release -q
if [ ! -f "$DATA/done" ]; then
  echo "== demo-data: $FAMILIES families ($FORMAT)"
  "$BIN" demo-data --format "$FORMAT" --families "$FAMILIES" --out "$DATA" >/dev/null
  touch "$DATA/done"
fi
case "$FORMAT" in
  p3ke) FILES=("$DATA/p3ke_keluarga.csv" "$DATA/p3ke_individu.csv") ;;
  dtsen) FILES=("$DATA"/keluarga_*.csv "$DATA"/anggota_*.csv "$DATA"/Kode_*.xlsx) ;;
  *) echo "FORMAT must be p3ke or dtsen" >&2; exit 2 ;;
esac
echo "files: $(du -ch "${FILES[@]}" | tail -1 | cut -f1) in ${#FILES[@]} files"

# Runs `rbpk import` under /usr/bin/time; prints "seconds peak_mb".
timed_import() {
  local log="$OUT/time.log"
  /usr/bin/time -v "$BIN" import --format "$FORMAT" "${FILES[@]}" > "$OUT/import.out" 2> "$log"
  cat "$OUT/import.out" >&2
  local wall peak
  wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  peak=$(grep "Maximum resident set size" "$log" | awk '{print int($NF/1024)}')
  echo "$wall $peak"
}

# Times 200 requests of a kecamatan-filtered page (page 1..200 cycling) on a
# running server; prints "median_ms p95_ms".
time_list() {
  local base="http://127.0.0.1:$PORT"
  # The first start seeds the demo accounts and data on top of the registry:
  # on a large one that takes a while.
  for _ in $(seq 1 1500); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.2; done
  local token
  token=$(curl -sf -X POST "$base/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bappeda\",\"password\":\"$DEMO_PASSWORD\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
  for i in $(seq 1 200); do
    page=$(( (i % 40) + 1 ))
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" \
      "$base/api/v1/households?region=64.02.06&per_page=50&page=$page"
  done | python3 -c '
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin)
print(f"{statistics.median(t):.1f} {t[int(len(t) * 0.95) - 1]:.1f}")'
}

# A run that stops halfway must not leave its server holding the port.
trap 'pkill -f "$BIN serve" 2>/dev/null || true' EXIT

serve() {
  RBPK_BIND="127.0.0.1:$PORT" "$BIN" serve > "$OUT/serve.log" 2>&1 &
  echo $!
}

echo "== SQLite"
rm -f "$OUT"/bench.sqlite3*
export DATABASE_URL="$OUT/bench.sqlite3"
"$BIN" migrate
read -r SQLITE_S SQLITE_MB < <(timed_import)
pid=$(serve); read -r SQLITE_LIST_MED SQLITE_LIST_P95 < <(time_list); kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== PostgreSQL"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS rbpk_bench" -c "CREATE DATABASE rbpk_bench"
export DATABASE_URL="$PG/rbpk_bench"
"$BIN" migrate
read -r PG_S PG_MB < <(timed_import)
pid=$(serve); read -r PG_LIST_MED PG_LIST_P95 < <(time_list); kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== Reference: psql \\copy of the same rows into the same tables"
# Every table an import fills row by row: the families, their members and
# their links to the dataset they came from (and the few datasets).
TABLES=(datasets households members household_datasets)
for t in "${TABLES[@]}"; do psql -q "$DATABASE_URL" -c "\\copy $t TO '$OUT/$t.copy'"; done
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS rbpk_copy" -c "CREATE DATABASE rbpk_copy"
DATABASE_URL="$PG/rbpk_copy" "$BIN" migrate
start=$(date +%s.%N)
for t in "${TABLES[@]}"; do psql -q "$PG/rbpk_copy" -c "\\copy $t FROM '$OUT/$t.copy'"; done
end=$(date +%s.%N)
COPY_S=$(python3 -c "print(f'{$end - $start:.2f}')")
HOUSEHOLDS=$(psql -tAq "$PG/rbpk_copy" -c "SELECT count(*) FROM households")
MEMBERS=$(psql -tAq "$PG/rbpk_copy" -c "SELECT count(*) FROM members")

cat <<REPORT

| backend | families | members | import (s) | peak RSS (MB) | list p50 (ms) | list p95 (ms) |
|---|---|---|---|---|---|---|
| SQLite | $HOUSEHOLDS | $MEMBERS | $SQLITE_S | $SQLITE_MB | $SQLITE_LIST_MED | $SQLITE_LIST_P95 |
| PostgreSQL | $HOUSEHOLDS | $MEMBERS | $PG_S | $PG_MB | $PG_LIST_MED | $PG_LIST_P95 |
| psql \\copy (reference) | $HOUSEHOLDS | $MEMBERS | $COPY_S | – | – | – |

format: $FORMAT
import / \\copy on PostgreSQL: $(python3 -c "print(f'{$PG_S / $COPY_S:.1f}x')")
machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
REPORT
