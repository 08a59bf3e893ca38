#!/usr/bin/env bash
# The cost of the tally triggers (migration 000022) on an import: a 100k P3KE
# import into a fresh database with the triggers on, then off (disabled on
# PostgreSQL, dropped on SQLite), same binary, two alternating rounds.
# Rerun: bash bench/tally_cost.sh   (after cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/rbpk; PG=postgres://postgres@127.0.0.1:5432; D=bench/out/data-p3ke-100000
export RUST_LOG=warn RBPK_JWT_SECRET="bench-secret-bench-secret-bench-secret-42"
[ -f $D/done ] || { $BIN demo-data --format p3ke --families 100000 --out $D >/dev/null; touch $D/done; }
for round in 1 2; do for mode in on off; do
  psql -q $PG/postgres -c "DROP DATABASE IF EXISTS rbpk_tally_cost" -c "CREATE DATABASE rbpk_tally_cost"
  DATABASE_URL=$PG/rbpk_tally_cost $BIN migrate 2>/dev/null
  [ $mode = off ] && psql -q $PG/rbpk_tally_cost -c "ALTER TABLE households DISABLE TRIGGER USER"
  s=$(date +%s.%N); DATABASE_URL=$PG/rbpk_tally_cost $BIN import --format p3ke $D/p3ke_keluarga.csv $D/p3ke_individu.csv >/dev/null; e=$(date +%s.%N)
  echo "PostgreSQL $mode $(python3 -c "print(f'{$e-$s:.1f}')")"
  rm -f bench/out/tally_cost.sqlite3*
  DATABASE_URL=bench/out/tally_cost.sqlite3 $BIN migrate 2>/dev/null
  [ $mode = off ] && sqlite3 bench/out/tally_cost.sqlite3 "DROP TRIGGER household_tallies_insert; DROP TRIGGER household_tallies_update; DROP TRIGGER household_tallies_delete;"
  s=$(date +%s.%N); DATABASE_URL=bench/out/tally_cost.sqlite3 $BIN import --format p3ke $D/p3ke_keluarga.csv $D/p3ke_individu.csv >/dev/null; e=$(date +%s.%N)
  echo "SQLite $mode $(python3 -c "print(f'{$e-$s:.1f}')")"
done; done
