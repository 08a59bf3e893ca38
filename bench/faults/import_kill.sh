#!/usr/bin/env bash
# Fault: an import killed with SIGKILL halfway (issue 6, item 3).
#
# For each backend (a fresh SQLite file; a fresh database on the machine's
# PostgreSQL, dropped at the end): writes FAMILIES synthetic families with
# `rbpk demo-data`, starts `rbpk import --format p3ke` on the two P3KE CSV files,
# polls household_imports until rows_done is between 0 and rows_total (a third
# of the way or more), SIGKILLs it, and checks:
#   - no half-written family: no household without head_name / region_code /
#     family id, no member without its household;
#   - batches are atomic: households + members in the registry equal the
#     import record's created + updated (data and progress commit together);
#   - `rbpk migrate` (what every start runs) marks the import `failed` with an
#     error mentioning "interrupted";
#   - a rerun of the same import completes `done`, and the registry then holds
#     exactly the file's families and members (no duplicates).
#
#   bash bench/faults/import_kill.sh
# Settings (env): FAMILIES=30000, FAULT_BACKENDS="sqlite postgres" (FAULT_PG=0 drops
#   postgres), FAULT_POSTGRES_URL=postgres://postgres@127.0.0.1:5432,
#   RBPK_BIN (default target/release/rbpk, built when missing), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

FAMILIES="${FAMILIES:-30000}"
BACKENDS="${FAULT_BACKENDS:-sqlite postgres}"
[ "${FAULT_PG:-1}" = 0 ] && BACKENDS="${BACKENDS//postgres/}"
PG="${FAULT_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
BIN="${RBPK_BIN:-target/release/rbpk}"
OUT=bench/out/faults
WORK="$OUT/import_kill"
DATA="$OUT/data-kill-$FAMILIES"
export RUST_LOG=warn
export RBPK_JWT_SECRET="fault-secret-fault-secret-fault-secret-42"

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

IMPORT_PID=""
PG_DB=""
cleanup() {
  set +e
  if [ -n "$IMPORT_PID" ] && kill -0 "$IMPORT_PID" 2>/dev/null; then
    kill -9 "$IMPORT_PID"; wait "$IMPORT_PID" 2>/dev/null
  fi
  [ -n "$PG_DB" ] && psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT" "$WORK"
if [ -z "${SKIP_BUILD:-}" ] && [ "$BIN" = target/release/rbpk ]; then
  say "build (release)"
  cargo build --release -q
fi
[ -x "$BIN" ] || fail "no binary at $BIN"

if [ ! -s "$DATA/p3ke_individu.csv" ] || [ ! -s "$DATA/p3ke_keluarga.csv" ]; then
  say "demo-data: $FAMILIES families"
  rm -rf "$DATA"
  "$BIN" demo-data --families "$FAMILIES" --out "$DATA" >/dev/null || fail "demo-data failed"
fi
FAM="$DATA/p3ke_keluarga.csv"
IND="$DATA/p3ke_individu.csv"
# Data rows of each file (a header line; quoted fields carry no newlines in these files).
FILE_FAMILIES=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig'))) - 1)" "$FAM")
FILE_MEMBERS=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig'))) - 1)" "$IND")
echo "files: $FILE_FAMILIES families ($FAM), $FILE_MEMBERS members ($IND)"

# q SQL: one query on the current backend, rows as text (|-separated).
q() {
  if [ "$BACKEND" = sqlite ]; then
    python3 - "$DATABASE_URL" "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
  else
    psql -tAqX "$DATABASE_URL" -c "$1"
  fi
}

# A line of the import record: status|rows_total|rows_done|created|updated|unchanged|rejected_count|error
import_row() {
  q "SELECT status, rows_total, rows_done, created, updated, unchanged, rejected_count, coalesce(error, '') FROM household_imports ORDER BY created_at DESC LIMIT 1" 2>/dev/null || true
}

RESULTS=()

run_backend() {
  BACKEND=$1
  say "[$BACKEND] fresh database"
  if [ "$BACKEND" = sqlite ]; then
    rm -f "$WORK"/kill.sqlite3*
    export DATABASE_URL="$WORK/kill.sqlite3"
  else
    PG_DB="rbpk_fault_$$_$RANDOM"
    psql -q "$PG/postgres" -c "CREATE DATABASE $PG_DB" || fail "cannot create $PG_DB on $PG"
    export DATABASE_URL="$PG/$PG_DB"
  fi
  "$BIN" migrate || fail "[$BACKEND] rbpk migrate failed"

  say "[$BACKEND] rbpk import --format p3ke, SIGKILL once a third of the rows is done"
  local start; start=$(date +%s.%N)
  "$BIN" import --format p3ke "$FAM" "$IND" > "$WORK/import-$BACKEND.log" 2>&1 &
  IMPORT_PID=$!
  local row="" killed_at="" status total done_ created updated
  for _ in $(seq 1 1200); do   # at most 1200 × 0.05 s = 60 s
    kill -0 "$IMPORT_PID" 2>/dev/null || break
    row=$(import_row)
    if [ -n "$row" ]; then
      IFS='|' read -r status total done_ created updated _ _ _ <<< "$row"
      if [ "$status" = running ] && [ "${done_:-0}" -gt 0 ] && [ "${total:-0}" -gt 0 ] \
         && [ $((done_ * 3)) -ge "$total" ] && [ "$done_" -lt "$total" ]; then
        kill -9 "$IMPORT_PID"
        killed_at="$done_/$total"
        break
      fi
    fi
    sleep 0.05
  done
  wait "$IMPORT_PID" 2>/dev/null || true
  IMPORT_PID=""
  [ -n "$killed_at" ] || { cat "$WORK/import-$BACKEND.log" >&2; fail "[$BACKEND] the import was not caught halfway (last record: ${row:-none}); raise FAMILIES"; }
  echo "SIGKILL at rows_done/rows_total = $killed_at, $(python3 -c "import time; print(f'{time.time() - $start:.1f}')")s after the start"

  say "[$BACKEND] after the kill: no half-written family, batches atomic"
  row=$(import_row)
  IFS='|' read -r status total done_ created updated _ _ _ <<< "$row"
  local hh mm bad orphans
  hh=$(q "SELECT count(*) FROM households")
  mm=$(q "SELECT count(*) FROM members")
  bad=$(q "SELECT count(*) FROM households WHERE head_name IS NULL OR head_name = '' OR region_code IS NULL OR region_code = '' OR (p3ke_family_id IS NULL AND dtks_id IS NULL)")
  orphans=$(q "SELECT count(*) FROM members m LEFT JOIN households h ON h.id = m.household_id WHERE h.id IS NULL")
  echo "import record: status=$status rows_done=$done_ rows_total=$total created=$created updated=$updated"
  echo "registry: $hh households, $mm members; incomplete households: $bad; members without household: $orphans"
  echo "batch sizes: households % 2000 = $((hh % 2000)) (or all $FILE_FAMILIES: $([ "$hh" = "$FILE_FAMILIES" ] && echo yes || echo no)), members % 5000 = $((mm % 5000))"
  [ "$status" = running ] || fail "[$BACKEND] the killed import's record is '$status', expected 'running' before a restart"
  [ "$bad" = 0 ] || fail "[$BACKEND] $bad half-written households"
  [ "$orphans" = 0 ] || fail "[$BACKEND] $orphans members without their household"
  # `rbpk import` keeps one record per file: sum them all.
  local committed; committed=$(q "SELECT coalesce(sum(created + updated), 0) FROM household_imports")
  [ $((hh + mm)) = "$committed" ] \
    || fail "[$BACKEND] registry rows ($hh + $mm) differ from the committed batches' created + updated ($committed): a batch was not atomic"
  echo "households + members = $((hh + mm)) = created + updated of the committed batches"
  local hh_killed=$hh
  [ "$hh" -gt 0 ] || fail "[$BACKEND] nothing was committed before the kill; the kill point is not halfway"
  [ $((hh % 2000)) = 0 ] || [ "$hh" = "$FILE_FAMILIES" ] || fail "[$BACKEND] $hh households is not a whole number of 2,000-family batches (import::job)"

  say "[$BACKEND] restart (rbpk migrate) marks the import failed"
  "$BIN" migrate 2>&1 | tee "$WORK/migrate-$BACKEND.log" | grep -i interrupt || true
  row=$(import_row)
  local error
  IFS='|' read -r status _ _ _ _ _ _ error <<< "$row"
  echo "import record: status=$status error=\"$error\""
  [ "$status" = failed ] || fail "[$BACKEND] after the restart the import is '$status', expected 'failed'"
  case "$error" in *interrupted*) ;; *) fail "[$BACKEND] the failed import's error does not mention 'interrupted': $error" ;; esac

  say "[$BACKEND] rerun of the same import completes"
  start=$(date +%s.%N)
  timeout 600 "$BIN" import --format p3ke "$FAM" "$IND" > "$WORK/rerun-$BACKEND.log" 2>&1 \
    || { tail -20 "$WORK/rerun-$BACKEND.log" >&2; fail "[$BACKEND] the rerun failed"; }
  local rerun_s; rerun_s=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  row=$(import_row)
  local unchanged rejected records
  # The rerun's records (one per file): all done.
  records=$(q "SELECT status, rows_total, rows_done, created, updated, unchanged, rejected_count FROM household_imports WHERE status <> 'failed' ORDER BY created_at")
  echo "rerun's import records (status|rows_total|rows_done|created|updated|unchanged|rejected):"
  echo "$records" | sed 's/^/  /'
  [ "$(echo "$records" | wc -l)" = 2 ] || fail "[$BACKEND] expected 2 import records for the rerun (one per file)"
  echo "$records" | grep -v '^done|' && fail "[$BACKEND] a rerun record is not done"
  IFS='|' read -r _ _ _ _ _ unchanged _ <<< "$(echo "$records" | head -1)"
  [ "$unchanged" = "$hh_killed" ] || fail "[$BACKEND] the rerun found $unchanged families unchanged, $hh_killed were committed before the kill"
  echo "the rerun left the $hh_killed families committed before the kill unchanged"
  IFS='|' read -r status total done_ created updated unchanged rejected _ <<< "$row"
  hh=$(q "SELECT count(*) FROM households")
  mm=$(q "SELECT count(*) FROM members")
  local dup_h dup_m
  dup_h=$(q "SELECT count(*) FROM (SELECT p3ke_family_id FROM households WHERE p3ke_family_id IS NOT NULL GROUP BY p3ke_family_id HAVING count(*) > 1) d")
  dup_m=$(q "SELECT count(*) FROM (SELECT p3ke_individual_id FROM members WHERE p3ke_individual_id IS NOT NULL GROUP BY p3ke_individual_id HAVING count(*) > 1) d")
  echo "rerun in ${rerun_s}s: status=$status rows_done=$done_/$total created=$created updated=$updated unchanged=$unchanged rejected=$rejected"
  echo "registry: $hh households (file: $FILE_FAMILIES), $mm members (file: $FILE_MEMBERS); duplicate family ids: $dup_h, duplicate individual ids: $dup_m"
  [ "$status" = done ] || fail "[$BACKEND] the rerun ended '$status', expected 'done'"
  [ "$hh" = "$FILE_FAMILIES" ] || fail "[$BACKEND] $hh households after the rerun, the file has $FILE_FAMILIES"
  [ "$mm" = "$FILE_MEMBERS" ] || fail "[$BACKEND] $mm members after the rerun, the file has $FILE_MEMBERS"
  [ "$dup_h" = 0 ] && [ "$dup_m" = 0 ] || fail "[$BACKEND] duplicates after the rerun"
  RESULTS+=("$BACKEND: SIGKILL at rows_done/rows_total $killed_at; $hh_killed families committed (atomic batches); marked failed (interrupted); rerun ${rerun_s}s, done, $hh households, $mm members, no duplicates")

  if [ -n "$PG_DB" ]; then
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_DB=""
  fi
}

for b in $BACKENDS; do
  case "$b" in sqlite|postgres) run_backend "$b" ;; *) fail "unknown backend $b" ;; esac
done

say "summary"
printf '%s\n' "${RESULTS[@]}"
echo "import_kill: passed"
