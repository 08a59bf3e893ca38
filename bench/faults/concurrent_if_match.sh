#!/usr/bin/env bash
# Fault: two service instances on one PostgreSQL database updating the same
# records concurrently with If-Match (issue 6, item 3).
#
# A fresh database on the machine's PostgreSQL (dropped at the end), two
# `rbpk serve` instances on two ports, demo accounts. Then ROUNDS rounds on one
# cycle: read its ETag, fire WRITERS concurrent PATCH /api/v1/cycles/{year}
# (half through each instance, released together by a barrier), each with that
# same If-Match and a different proposals_close. Checks per round: exactly one
# 200, every other answer 412 application/problem+json, and the value read
# back through the OTHER instance is the winner's (no lost update); the new
# ETag is the winner's. The same for PATCH /api/v1/households/{id} (address).
#
#   bash bench/faults/concurrent_if_match.sh
# Settings (env): ROUNDS=20, WRITERS=10, CONC_PORTS="18092 18093",
#   FAULT_POSTGRES_URL=postgres://postgres@127.0.0.1:5432,
#   RBPK_BIN (default target/release/rbpk, built when missing), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-20}"
WRITERS="${WRITERS:-10}"
read -r PORT_A PORT_B <<< "${CONC_PORTS:-18092 18093}"
PG="${FAULT_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
BIN="${RBPK_BIN:-target/release/rbpk}"
OUT=bench/out/faults
PASSWORD="concurrent-password-1"
export RBPK_JWT_SECRET="concurrent-secret-concurrent-secret-0042"
export DEMO_PASSWORD="$PASSWORD"
export RUST_LOG=warn

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

PIDS=()
PG_DB=""
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "$PG_DB" ] && psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
if [ -z "${SKIP_BUILD:-}" ] && [ "$BIN" = target/release/rbpk ]; then
  say "build (release)"
  cargo build --release -q
fi
[ -x "$BIN" ] || fail "no binary at $BIN"

say "fresh PostgreSQL database"
PG_DB="rbpk_conc_$$_$RANDOM"
psql -q "$PG/postgres" -c "CREATE DATABASE $PG_DB" || fail "cannot create $PG_DB on $PG"
export DATABASE_URL="$PG/$PG_DB"

start() {
  local port=$1
  RBPK_BIND="127.0.0.1:$port" "$BIN" serve > "$OUT/concurrent.serve-$port.log" 2>&1 &
  PIDS+=($!)
  local pid=$!
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$OUT/concurrent.serve-$port.log" >&2; fail "rbpk serve on $port exited at start"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")" = 200 ] && return 0
    sleep 0.5
  done
  fail "rbpk serve on $port not ready within 120 s"
}
# One after the other: the first migrates and seeds, the second finds it done.
say "two rbpk serve instances on $DATABASE_URL: ports $PORT_A and $PORT_B"
start "$PORT_A"
start "$PORT_B"

# Households to update: the demo data, or a small import when there is none.
TOTAL=$(curl -sf -X POST "http://127.0.0.1:$PORT_A/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bappeda\",\"password\":\"$PASSWORD\"}" | python3 -c '
import sys, json, urllib.request
tok = json.load(sys.stdin)["access_token"]
req = urllib.request.Request(sys.argv[1] + "/api/v1/households?per_page=1", headers={"Authorization": "Bearer " + tok})
print(json.load(urllib.request.urlopen(req))["total"])' "http://127.0.0.1:$PORT_A") || fail "cannot list households"
if [ "$TOTAL" = 0 ]; then
  echo "no households: importing 20 demo families"
  "$BIN" demo-data --families 20 --out "$OUT/data-conc" >/dev/null
  "$BIN" import --format p3ke "$OUT/data-conc/p3ke_keluarga.csv" > /dev/null || fail "import failed"
fi

say "$ROUNDS rounds × $WRITERS concurrent PATCH with the same If-Match, half through each instance"
timeout 300 python3 - "http://127.0.0.1:$PORT_A" "http://127.0.0.1:$PORT_B" "$PASSWORD" "$ROUNDS" "$WRITERS" <<'PY'
import json, sys, threading, urllib.request, urllib.error

A, B, password, rounds, writers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

def call(base, method, path, token=None, body=None, headers=None):
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()

status, _, body = call(A, "POST", "/api/v1/auth/token", body={"username": "bappeda", "password": password})
assert status == 200, f"token: {status} {body[:200]}"
token = json.loads(body)["access_token"]

problems = []

def race(label, path, bodies, field):
    """One round: read the ETag through A, fire the PATCHes together, check."""
    status, h, body = call(A, "GET", path, token)
    if status != 200:
        problems.append(f"{label}: GET {path} answered {status}")
        return None
    etag = h.get("ETag") or h.get("etag")
    if not etag:
        problems.append(f"{label}: GET {path} has no ETag")
        return None
    results = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))
    def one(i):
        base = A if i % 2 == 0 else B
        barrier.wait()
        results[i] = (base,) + call(base, "PATCH", path, token, bodies[i], {"If-Match": etag})
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads: t.start()
    for t in threads: t.join()
    codes = [r[1] for r in results]
    wins = [i for i, r in enumerate(results) if r[1] == 200]
    losers = [r for r in results if r[1] != 200]
    if len(wins) != 1:
        problems.append(f"{label}: {len(wins)} answers of 200 (expected exactly 1): {codes}")
    for base, st, hh, b in losers:
        ct = hh.get("Content-Type") or hh.get("content-type") or ""
        if st != 412 or not ct.startswith("application/problem+json"):
            problems.append(f"{label}: a loser through {base} answered {st} {ct}: {b[:300]!r}")
    if len(wins) != 1:
        return codes
    w = wins[0]
    wbase, _, wh, wbody = results[w]
    expected = bodies[w][field]
    got_w = json.loads(wbody).get(field)
    other = B if wbase == A else A
    status, h2, now = call(other, "GET", path, token)
    now_val = json.loads(now).get(field) if status == 200 else None
    if got_w != expected:
        problems.append(f"{label}: the winner's response has {field}={got_w!r}, it sent {expected!r}")
    if now_val != expected:
        problems.append(f"{label}: read back through the other instance {field}={now_val!r}, the winner sent {expected!r} (lost update)")
    if (h2.get("ETag") or h2.get("etag")) != (wh.get("ETag") or wh.get("etag")):
        problems.append(f"{label}: ETag read back {h2.get('ETag')} differs from the winner's {wh.get('ETag')}")
    if (h2.get("ETag") or h2.get("etag")) == etag:
        problems.append(f"{label}: the ETag did not change after an update")
    return codes

# The cycle: a year of our own, created fresh.
year = 2031
status, _, body = call(A, "POST", "/api/v1/cycles", token, {"year": year})
if status not in (200, 201):
    status2, _, _ = call(A, "GET", f"/api/v1/cycles/{year}", token)
    assert status2 == 200, f"cannot create cycle {year}: {status} {body[:300]!r}"
tally = {}
for r in range(rounds):
    bodies = [{"proposals_close": f"{year - 1}-11-{(r * writers + i) % 28 + 1:02d}"} for i in range(writers)]
    # make each round's values distinct from the current one by shifting when needed
    codes = race(f"cycle round {r + 1}", f"/api/v1/cycles/{year}", bodies, "proposals_close")
    for c in codes or []:
        tally[c] = tally.get(c, 0) + 1
print(f"cycle {year}: {rounds} rounds × {writers} writers: answers {dict(sorted(tally.items()))}")
cycle_tally = tally

# A household: the first of the list.
status, _, body = call(A, "GET", "/api/v1/households?per_page=1", token)
assert status == 200, f"list households: {status}"
hid = json.loads(body)["items"][0]["id"]
tally = {}
for r in range(rounds):
    bodies = [{"address": f"Jl. Uji Serentak No. {r}-{i} (round {r + 1}, writer {i + 1})"} for i in range(writers)]
    codes = race(f"household round {r + 1}", f"/api/v1/households/{hid}", bodies, "address")
    for c in codes or []:
        tally[c] = tally.get(c, 0) + 1
print(f"household {hid}: {rounds} rounds × {writers} writers: answers {dict(sorted(tally.items()))}")

for p in problems[:30]:
    print("FAIL:", p)
if problems:
    print(f"{len(problems)} problems")
    sys.exit(1)
print(f"no lost update: every round had exactly one 200 and {writers - 1} × 412 problem+json; "
      "the value read through the other instance was the winner's")
PY
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "an rbpk instance died"; done
if grep -l panicked "$OUT"/concurrent.serve-*.log; then fail "panic in an rbpk log"; fi
echo "concurrent_if_match: passed"
