#!/usr/bin/env bash
# Fault: reads on a PostgreSQL streaming standby (issue 17, item 4).
#
# Starts a THROWAWAY primary (port 55442) and, from its pg_basebackup, a
# streaming standby (port 55443) that applies each commit 400 ms late
# (recovery_min_apply_delay), both run as the system user `rbpkpg` (initdb
# refuses root) with data under /tmp — never the machine's server on 5432.
# `rbpk serve` runs with DATABASE_URL on the primary and
# RBPK_DATABASE_READ_URL on the standby (lag bound 2 s) and the script shows:
#   1. reads go to the standby: household lists by a reader are in the
#      standby's statement log;
#   2. no stale read after a write: a writer creates a household and at once
#      searches for it, 40 times; each search finds it although the standby
#      applies the write only 400 ms later;
#   3. a standby past the bound is not read: with replay paused, a household
#      one caller creates is found by ANOTHER caller 2.5 s later;
#   4. the standby stopped under traffic (4 threads reading, one writing and
#      reading its writes): no answer other than 200/201, none stale;
#   5. the standby started again is read from again.
#
#   bash bench/faults/replica.sh
# Settings (env): REPLICA_PG_PORT=55442 (standby: +1), REPLICA_PORT=18094,
#   RBPK_BIN (default target/release/rbpk, built when missing), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

PRIMARY_PORT="${REPLICA_PG_PORT:-55442}"
STANDBY_PORT=$((PRIMARY_PORT + 1))
PORT="${REPLICA_PORT:-18094}"
BIN="${RBPK_BIN:-target/release/rbpk}"
WORK=/tmp/rbpk_replica
PRIMARY="$WORK/primary"
STANDBY="$WORK/standby"
OUT=bench/out/faults
BASE="http://127.0.0.1:$PORT"
PASSWORD="replica-password-1"
PRIMARY_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT"
STANDBY_URL="postgres://postgres@127.0.0.1:$STANDBY_PORT"

source bench/faults/lib.sh
pg_start() { # data port
  pg_as "$PGBIN/pg_ctl -D $1 -l $1.log -o '-p $2 -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off' -w -t 60 start" >/dev/null \
    || { tail -20 "$1.log" >&2; fail "cluster $1 did not start"; }
}
pg_stop() { pg_as "$PGBIN/pg_ctl -D $1 -m fast -w -t 60 stop" >/dev/null; }

SERVER_PID=""
cleanup() {
  set +e
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  pg_kill "$STANDBY"
  pg_kill "$PRIMARY"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
release_binary
throwaway_pg_user
pg_kill "$STANDBY"
pg_kill "$PRIMARY"
rm -rf "$WORK"
mkdir -p "$WORK"
chown "$PGUSER_OS" "$WORK"

say "primary on $PRIMARY_PORT, standby on $STANDBY_PORT (pg_basebackup, commits applied 400 ms late)"
pg_as "$PGBIN/initdb -D $PRIMARY -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8" > "$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; fail "initdb failed"; }
pg_start "$PRIMARY" "$PRIMARY_PORT"
psql -q "$PRIMARY_URL/postgres" -c "CREATE DATABASE rbpk" || fail "CREATE DATABASE failed"
pg_as "$PGBIN/pg_basebackup -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D $STANDBY -R -X stream --no-sync" \
  || fail "pg_basebackup failed"
# Every statement the standby runs goes to its log: the script counts the
# household queries there to tell where reads went.
printf "recovery_min_apply_delay = '400ms'\nlog_statement = 'all'\n" >> "$STANDBY/postgresql.auto.conf"
pg_start "$STANDBY" "$STANDBY_PORT"
[ "$(psql -tAc 'SELECT pg_is_in_recovery()' "$STANDBY_URL/rbpk")" = t ] || fail "the standby is not in recovery"

say "rbpk serve: writes to the primary, reads to the standby ($BASE)"
DATABASE_URL="$PRIMARY_URL/rbpk" RBPK_DATABASE_READ_URL="$STANDBY_URL/rbpk" \
  RBPK_READ_REPLICA_MAX_LAG_MS=2000 RBPK_BIND="127.0.0.1:$PORT" \
  RBPK_JWT_SECRET="replica-secret-replica-secret-replica-42" DEMO_PASSWORD="$PASSWORD" \
  RUST_LOG=info "$BIN" serve > "$OUT/replica.serve.log" 2>&1 &
SERVER_PID=$!
serve_ready "$SERVER_PID" "$OUT/replica.serve.log" "$BASE"

python3 - "$BASE" "$PASSWORD" "$PRIMARY_URL/rbpk" "$STANDBY_URL/rbpk" "$STANDBY" "$PGBIN" "$PGUSER_OS" "$STANDBY_PORT" "$WORK" <<'PY'
import json, os, random, string, subprocess, sys, threading, time, urllib.error, urllib.parse, urllib.request

base, password, primary, standby, standby_dir, pgbin, pguser, standby_port, work = sys.argv[1:10]

def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)

def call(method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")[:300]
    except Exception as e:  # the service did not answer
        return 0, type(e).__name__

def token(user):
    status, body = call("POST", "/api/v1/auth/token", body={"username": user, "password": password})
    if status != 200:
        fail(f"no token for {user}: {status} {body}")
    return body["access_token"]

def psql(url, sql):
    return subprocess.run(["psql", "-tAc", sql, url], capture_output=True, text=True, check=True).stdout.strip()

def standby_household_queries():
    with open(standby_dir + ".log", errors="replace") as log:
        return sum(1 for line in log if 'FROM "households"' in line)

def name():
    return "Uji Replika " + "".join(random.choice(string.ascii_lowercase) for _ in range(12))

def create(tok, head):
    return call("POST", "/api/v1/households", tok, {"head_name": head, "region_code": "64.02.06.1001", "desil": 1})

def found(tok, head):
    status, body = call("GET", "/api/v1/households?q=" + urllib.parse.quote(head), tok)
    return status, (body.get("total") if status == 200 else body)

def lists_read_from_the_standby(tok, why):
    """60 household lists; each must appear in the standby's statement log."""
    before = standby_household_queries()
    for i in range(60):
        status, _ = call("GET", f"/api/v1/households?page={i % 20 + 1}&per_page=50", tok)
        if status != 200:
            fail(f"list answered {status}")
    after = standby_household_queries()
    print(f"   household queries in the standby's log: {before} -> {after}")
    if after - before < 60:
        fail(why)

writer, reader = token("bappeda"), token("admin")
time.sleep(1)  # the monitor's first rounds

print("1. reads go to the standby")
lists_read_from_the_standby(reader, "household lists did not read from the standby")

print("2. a writer reads its own writes at once (the standby applies them 400 ms late)")
for i in range(40):
    head = name()
    status, body = create(writer, head)
    if status != 201:
        fail(f"create answered {status}: {body}")
    status, total = found(writer, head)
    if (status, total) != (200, 1):
        fail(f"write {i}: the writer's search right after it answered {status} {total}: a stale read")
# The standby does lag: another caller at once may not see it yet (allowed).
head = name()
create(writer, head)
stale = found(reader, head)
print(f"   40 of 40 found by the writer; another caller at once: {stale} (0 = the standby's 400 ms lag)")

print("3. a standby past the bound serves nobody")
psql(standby, "SELECT pg_wal_replay_pause()")
head = name()
status, _ = create(writer, head)
time.sleep(2.5)
status, total = found(reader, head)
psql(standby, "SELECT pg_wal_replay_resume()")
if (status, total) != (200, 1):
    fail(f"with the standby 2.5 s behind (bound 2 s) another caller read {status} {total}")
print("   found by another caller: the read went to the primary")

print("4. the standby stopped under traffic")
stop = threading.Event()
results, lock = [], threading.Lock()
def reading(tok):
    while not stop.is_set():
        status, _ = call("GET", f"/api/v1/households?page={random.randint(1, 20)}&per_page=50", tok)
        with lock:
            results.append(("read", status))
def writing(tok):
    while not stop.is_set():
        head = name()
        s1, _ = create(tok, head)
        s2, total = found(tok, head)
        with lock:
            results.append(("write", s1))
            results.append(("own read", s2 if total == 1 else f"stale {total}"))
threads = [threading.Thread(target=reading, args=(reader,)) for _ in range(4)]
threads.append(threading.Thread(target=writing, args=(writer,)))
for t in threads:
    t.start()
time.sleep(3)
subprocess.run(["su", "-s", "/bin/bash", pguser, "-c",
                f"{pgbin}/pg_ctl -D {standby_dir} -m fast -w -t 60 stop"], check=True, capture_output=True)
stopped_at = len(results)
time.sleep(5)
stop.set()
for t in threads:
    t.join()
bad = [r for r in results if r[1] not in (200, 201)]
print(f"   {len(results)} answers ({stopped_at} before the stop), not 200/201: {len(bad)}")
if bad:
    fail(f"answers while the standby stopped: {bad[:10]}")
if len(results) - stopped_at < 20:
    fail("too little traffic after the stop to tell")

print("5. the standby back: read from again")
subprocess.run(["su", "-s", "/bin/bash", pguser, "-c",
                f"{pgbin}/pg_ctl -D {standby_dir} -l {standby_dir}.log -o '-p {standby_port} -k {work} "
                f"-c listen_addresses=127.0.0.1 -c fsync=off' -w -t 60 start"], check=True, capture_output=True)
time.sleep(1.5)
lists_read_from_the_standby(reader, "reads did not return to the standby")
PY

kill -0 "$SERVER_PID" 2>/dev/null || fail "rbpk serve died"
grep -q 'panicked' "$OUT/replica.serve.log" && fail "rbpk logged a panic"
say "replica fault passed"
