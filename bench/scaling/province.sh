#!/usr/bin/env bash
# A province simulated in one PostgreSQL database (issue 17, item 5;
# docs/SCALING.md): a copy of the benchmark registry (`bench/import.sh`,
# Kukar, 100,000 families by default) partitioned by kabupaten and grown to
# ten kabupaten (bench/scaling/partition.sql), then the load benchmark
# (`bench/load.sh`: list, read, recommendations, visits) on it, to set
# beside the same benchmark on the one regency. LAYOUT=flat grows the same
# province without partitioning, for the cost partitioning avoids.
# Rerun: bash bench/import.sh && bash bench/scaling/province.sh   (DURATION=15, LAYOUT=flat)
set -euo pipefail
cd "$(dirname "$0")/../.."

PG="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
SOURCE="${SOURCE_DB:-rbpk_bench}"
LAYOUT="${LAYOUT:-partitioned}"
case "$LAYOUT" in
  partitioned) PARTITIONED=1 ;;
  flat) PARTITIONED=0 ;;
  *) echo "LAYOUT must be partitioned or flat" >&2; exit 2 ;;
esac
DB=rbpk_province
psql -tAq "$PG/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$SOURCE'" | grep -q 1 \
  || { echo "no $SOURCE database: run bench/import.sh first" >&2; exit 1; }

echo "== $DB: a copy of $SOURCE grown to ten kabupaten ($LAYOUT)"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB TEMPLATE $SOURCE"
start=$(date +%s)
psql -q -v partitioned="$PARTITIONED" "$PG/$DB" -f bench/scaling/partition.sql
echo "built in $(( $(date +%s) - start )) s"
psql -q "$PG/$DB" -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM households WHERE region_code >= '64.02.06' AND region_code < '64.02.06/'"

echo "== load on the province (the Kukar program and lists, as bench/load.sh)"
ONLY_PG=1 PG_DB="$DB" bash bench/load.sh
