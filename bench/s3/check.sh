#!/usr/bin/env bash
# The S3 object store (issue 15, item 3) against a real S3-compatible
# server: moto's server mode (PyPI, pinned, in a venv under bench/out) on
# 127.0.0.1, a bucket made for the run, then the tests of photos and
# delivery evidence with TEST_OBJECT_STORE set — every test app keeps its
# files under a prefix of its own in that bucket, reached with the AWS_*
# settings production uses — on SQLite, and on PostgreSQL when S3_PG_URL
# names a database. The outage tests (an S3 server down: 503 within
# seconds, nothing recorded) run in the same selection. Last, the bucket
# itself, listed over plain HTTP, must hold the tests' objects. Moto is
# stopped on exit. Fails on any error; never skips.
#
#   bash bench/s3/check.sh
# Settings (env): S3_PORT=18099, S3_PG_URL (e.g.
#   postgres://postgres@127.0.0.1:5432/rbpk_ci; unset: SQLite only).
#   SKIP_BUILD is accepted for .ci/run's sake: the tests use the debug
#   test build, which cargo builds when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT="${S3_PORT:-18099}"
VENV=bench/out/venv-s3
OUT=bench/out/s3
BUCKET=rbpk-test

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
MOTO=""
stop() { [ -n "$MOTO" ] && kill "$MOTO" 2>/dev/null && wait "$MOTO" 2>/dev/null; MOTO=""; }
trap stop EXIT

if ! "$VENV/bin/moto_server" --help >/dev/null 2>&1; then
  echo "== install moto[server] 5.2.5 from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'moto[server]==5.2.5'
fi

rm -rf "$OUT"; mkdir -p "$OUT"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" > "$OUT/moto.log" 2>&1 &
MOTO=$!
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -s -o /dev/null "$AWS_ENDPOINT_URL/" && break; sleep 0.2; done
curl -s -o /dev/null "$AWS_ENDPOINT_URL/" || fail "moto did not start (see $OUT/moto.log)"

# What production sets for an S3-compatible server on plain http.
export AWS_ACCESS_KEY_ID=rbpk-check AWS_SECRET_ACCESS_KEY=rbpk-check-secret
export AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true
# object_store writes objects, never buckets: the bucket is made here
# (moto takes an unsigned request).
curl -sf -X PUT "$AWS_ENDPOINT_URL/$BUCKET" -o /dev/null || fail "cannot make the bucket $BUCKET"
export TEST_OBJECT_STORE="s3://$BUCKET/check"

echo "== photos and delivery evidence on S3 (moto), SQLite"
cargo test -q --test api -- --include-ignored verification_photos:: deliveries:: 2>&1 | tee "$OUT/sqlite.log"
grep -Eq 'test result: ok\. [1-9][0-9]* passed' "$OUT/sqlite.log" || fail "no test ran"
if [ -n "${S3_PG_URL:-}" ]; then
  echo "== photos and delivery evidence on S3 (moto), PostgreSQL"
  TEST_DATABASE_URL="$S3_PG_URL" cargo test -q --test api -- --include-ignored verification_photos:: deliveries:: \
    2>&1 | tee "$OUT/postgres.log"
fi

# The objects are in the bucket, seen by moto itself, not through our client.
keys=$(curl -sf "$AWS_ENDPOINT_URL/$BUCKET?list-type=2&prefix=check/&max-keys=1000" \
  | grep -o '<Key>[^<]*</Key>' | wc -l)
echo "objects in s3://$BUCKET/check: $keys"
[ "$keys" -gt 0 ] || fail "the tests left no object in the bucket"
echo "S3 check passed"
