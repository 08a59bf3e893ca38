#!/usr/bin/env bash
# Fault: PostgreSQL stopped under traffic (issue 6, item 3).
#
# Starts a THROWAWAY PostgreSQL 15 cluster of its own (data under /tmp, port
# 55432, run as the dedicated system user `rbpkpg` since initdb refuses root —
# never the machine's shared server on 5432), runs `rbpk serve` against it,
# sends a steady stream of authenticated GET /api/v1/regions and /health/ready,
# stops the cluster (pg_ctl stop -m fast) and checks:
#   - during the outage every answer is 503 application/problem+json
#     (no 500, no other status, no hang past the client timeout),
#   - the rbpk process stays alive and logs no panic,
# then starts the cluster again and checks that /health/ready and an
# authenticated GET answer 200 again within RECOVERY_LIMIT seconds, without
# restarting rbpk. The cluster is stopped and deleted at the end.
#
#   bash bench/faults/pg_outage.sh
# Settings (env): OUTAGE_PG_PORT=55432, OUTAGE_PORT=18091, OUTAGE_SECONDS=15,
#   RECOVERY_LIMIT=30, RBPK_BIN (default target/release/rbpk, built when missing), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

PGPORT="${OUTAGE_PG_PORT:-55432}"
PORT="${OUTAGE_PORT:-18091}"
OUTAGE_SECONDS="${OUTAGE_SECONDS:-15}"
RECOVERY_LIMIT="${RECOVERY_LIMIT:-30}"
BIN="${RBPK_BIN:-target/release/rbpk}"
WORK=/tmp/rbpk_pg_outage
DATA="$WORK/data"
OUT=bench/out/faults
BASE="http://127.0.0.1:$PORT"
PASSWORD="outage-password-1"

source bench/faults/lib.sh

SERVER_PID=""
TRAFFIC_PID=""
cleanup() {
  set +e
  [ -n "$TRAFFIC_PID" ] && kill "$TRAFFIC_PID" 2>/dev/null && wait "$TRAFFIC_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  pg_kill "$DATA"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
release_binary

say "throwaway cluster: user $PGUSER_OS, data $DATA, port $PGPORT"
throwaway_pg_user
pg_kill "$DATA"
rm -rf "$WORK"
mkdir -p "$WORK"
chown "$PGUSER_OS" "$WORK"
pg_as "$PGBIN/initdb -D $DATA -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8" > "$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; fail "initdb failed"; }
PGOPTS="-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off"
start_pg() { pg_as "$PGBIN/pg_ctl -D $DATA -l $WORK/postgres.log -o '$PGOPTS' -w -t 60 start" >/dev/null; }
stop_pg() { pg_as "$PGBIN/pg_ctl -D $DATA -m fast -w -t 60 stop" >/dev/null; }
start_pg || { tail -20 "$WORK/postgres.log" >&2; fail "throwaway cluster did not start"; }
psql -q "postgres://postgres@127.0.0.1:$PGPORT/postgres" -c "CREATE DATABASE rbpk" || fail "CREATE DATABASE failed"

say "rbpk serve on the throwaway cluster ($BASE)"
DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/rbpk" RBPK_BIND="127.0.0.1:$PORT" \
  RBPK_JWT_SECRET="outage-secret-outage-secret-outage-0042" DEMO_PASSWORD="$PASSWORD" \
  RUST_LOG=info "$BIN" serve > "$OUT/pg_outage.serve.log" 2>&1 &
SERVER_PID=$!
serve_ready "$SERVER_PID" "$OUT/pg_outage.serve.log" "$BASE"
TOKEN=$(curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bappeda\",\"password\":\"$PASSWORD\"}" \
  | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])') || fail "no token"
echo "token for bappeda obtained"

# Traffic: 4 threads, each sending requests one after another (two threads
# GET /api/v1/regions with the token, two GET /health/ready) until
# $WORK/stop exists or 180 s have passed; one line per request:
# start-epoch status content-type seconds path.
say "traffic on (4 client threads)"
python3 - "$BASE" "$TOKEN" "$WORK/stop" > "$OUT/pg_outage.traffic.log" <<'PY' &
import sys, time, urllib.request, urllib.error, os, threading
base, token, stop = sys.argv[1:4]
deadline = time.time() + 180
lock = threading.Lock()
def worker(path, auth):
    n = 0
    while time.time() < deadline and not os.path.exists(stop) and n < 5000:
        n += 1
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"} if auth else {})
        t0 = time.time()
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                r.read(); status, ctype = r.status, r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            e.read(); status, ctype = e.code, e.headers.get("Content-Type", "")
        except Exception as e:  # connection refused, timeout: the server did not answer
            status, ctype = 0, type(e).__name__
        with lock:
            print(f"{t0:.3f} {status} {ctype.replace(' ', '') or '-'} {time.time() - t0:.3f} {path}", flush=True)
        time.sleep(0.05)
threads = [threading.Thread(target=worker, args=a) for a in
           [("/api/v1/regions?per_page=5", True), ("/health/ready", False)] * 2]
for t in threads: t.start()
for t in threads: t.join()
PY
TRAFFIC_PID=$!
sleep 2

say "stop the throwaway cluster (pg_ctl stop -m fast) for ${OUTAGE_SECONDS}s"
T_STOP=$(date +%s.%N)
stop_pg || fail "pg_ctl stop failed"
T_DOWN=$(date +%s.%N)
sleep "$OUTAGE_SECONDS"
kill -0 "$SERVER_PID" 2>/dev/null || fail "rbpk serve died during the outage"
echo "rbpk is alive during the outage (pid $SERVER_PID)"

say "start the cluster again; rbpk is NOT restarted"
start_pg || fail "restart of the throwaway cluster failed"
T_START=$(date +%s.%N)
READY=""; AUTHED=""
for _ in $(seq 1 $((RECOVERY_LIMIT * 10))); do
  [ -z "$READY" ] && [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/health/ready")" = 200 ] && READY=$(date +%s.%N)
  [ -z "$AUTHED" ] && [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/regions?per_page=5")" = 200 ] && AUTHED=$(date +%s.%N)
  [ -n "$READY" ] && [ -n "$AUTHED" ] && break
  python3 -c "import time,sys; sys.exit(0 if time.time() - $T_START < $RECOVERY_LIMIT else 1)" || break
  sleep 0.1
done
[ -n "$READY" ] || fail "/health/ready not 200 within ${RECOVERY_LIMIT}s of PostgreSQL being back"
[ -n "$AUTHED" ] || fail "authenticated GET /api/v1/regions not 200 within ${RECOVERY_LIMIT}s of PostgreSQL being back"
sleep 2
touch "$WORK/stop"
wait "$TRAFFIC_PID" || fail "traffic generator failed"
TRAFFIC_PID=""
kill -0 "$SERVER_PID" 2>/dev/null || fail "rbpk serve is not running after recovery"

say "verdict"
python3 - "$OUT/pg_outage.traffic.log" "$T_STOP" "$T_DOWN" "$T_START" "$READY" "$AUTHED" <<'PY' || exit 1
import sys
log, t_stop, t_down, t_start, ready, authed = sys.argv[1], *map(float, sys.argv[2:])
rows = [l.split() for l in open(log) if l.strip()]
rows = [(float(t), int(s), c, float(d), p) for t, s, c, d, p in rows]
before = [r for r in rows if r[0] + r[3] < t_stop]
# Sent after PostgreSQL was fully down and answered before it was started again.
outage = [r for r in rows if r[0] >= t_down and r[0] + r[3] < t_start]
# Sent during the outage, answered after PostgreSQL was back (waited for a connection).
straddle = [r for r in rows if r[0] >= t_down and r[0] < t_start and r[0] + r[3] >= t_start]
after = [r for r in rows if r[0] >= max(ready, authed)]
problems = []
print(f"requests: {len(rows)} in total; {len(before)} answered before the stop, {len(outage)} sent and answered "
      f"during the outage ({t_start - t_down:.1f}s), {len(straddle)} sent during it and answered after, "
      f"{len(after)} sent after recovery")
def tally(rs):
    d = {}
    for r in rs:
        d[(r[1], r[2])] = d.get((r[1], r[2]), 0) + 1
    return ", ".join(f"{s} {c}: {n}" for (s, c), n in sorted(d.items())) or "none"
print(f"  before:   {tally(before)}")
print(f"  outage:   {tally(outage)}")
print(f"  straddle: {tally(straddle)}")
print(f"  after:    {tally(after)}")
lat = sorted(r[3] for r in outage if r[1] == 503)
if lat:
    print(f"  503 latency during the outage: min {lat[0]:.2f}s, median {lat[len(lat)//2]:.2f}s, max {lat[-1]:.2f}s")
print(f"recovery after PostgreSQL start: /health/ready 200 in {ready - t_start:.2f}s, "
      f"authenticated GET 200 in {authed - t_start:.2f}s")
if any(r[1] != 200 for r in before):
    problems.append("non-200 answers before the outage")
n503 = sum(1 for r in outage if r[1] == 503)
if n503 < 4:
    problems.append(f"only {n503} answers of 503 during the outage (expected at least one per client thread, 4)")
bad = [r for r in outage if not (r[1] == 503 and r[2].startswith("application/problem+json"))]
bad += [r for r in straddle if not (r[1] == 200 or (r[1] == 503 and r[2].startswith("application/problem+json")))]
for r in bad[:10]:
    problems.append(f"during the outage {r[4]} answered {r[1]} {r[2]} after {r[3]:.2f}s")
if any(r[1] >= 500 and r[1] != 503 for r in rows):
    problems.append("a 5xx other than 503 was answered: " + tally([r for r in rows if r[1] >= 500 and r[1] != 503]))
if any(r[1] == 0 for r in rows):
    problems.append(f"{sum(1 for r in rows if r[1] == 0)} requests got no answer (connection refused or timeout)")
if not after or any(r[1] != 200 for r in after):
    problems.append("not every request after recovery answered 200: " + tally(after))
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
if grep -q "panicked" "$OUT/pg_outage.serve.log"; then
  grep -m5 -A3 panicked "$OUT/pg_outage.serve.log"
  fail "panic in the rbpk log"
fi
echo "no panic in the rbpk log; rbpk pid $SERVER_PID served before, during and after the outage"
echo "pg_outage: passed"
