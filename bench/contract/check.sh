#!/usr/bin/env bash
# Contract tools (issue 12, item 4): checks openapi/openapi.json with the tools
# integrators use.
#   1. lint: Spectral, spectral:oas + OWASP API Top 10 ruleset (.spectral.yaml);
#      any error fails (bench/contract/lint.sh).
#   2. Python: openapi-python-client generates a client (any generator warning
#      fails), mypy --strict checks it and cycle.py (bench/contract/python/).
#   3. TypeScript: openapi-typescript types, tsc strict over cycle.ts
#      (bench/contract/ts/).
#   4. Per backend (a fresh SQLite file, then a fresh PostgreSQL database, each
#      with demo accounts and data, one server each): cycle.py and cycle.js drive
#      the yearly cycle through the generated clients.
# Every step runs even when an earlier one failed; the run ends with a summary
# and exit 1 with `FAIL:` lines when any step failed. Each step has a time limit.
#
#   bash bench/contract/check.sh
# Settings (env): CONTRACT_BACKENDS="sqlite postgres", CONTRACT_PORT=18095,
#   CONTRACT_POSTGRES_URL=postgres://postgres@127.0.0.1:5432, CONTRACT_YEAR=2031,
#   RBPK_BIN (default target/release/rbpk, built when missing), SKIP_BUILD=1.
# Logs: bench/out/contract/ (spectral.json, spectral-summary.md, python/, ts/,
#   <backend>/serve.log, <backend>/python.log, <backend>/ts.log).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
START=$SECONDS

BACKENDS="${CONTRACT_BACKENDS:-sqlite postgres}"
PORT="${CONTRACT_PORT:-18095}"
PG="${CONTRACT_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
YEAR="${CONTRACT_YEAR:-2031}"
BIN="${RBPK_BIN:-target/release/rbpk}"
[ "${BIN#/}" != "$BIN" ] || BIN="$ROOT/$BIN"
OUT=bench/out/contract
PASSWORD="contract-password-1"
BASE="http://127.0.0.1:$PORT"
SPEC=openapi/openapi.json

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

SERVER_PID=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_DB" ]; then
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
RESULTS=()
FAILS=()
# step NAME LIMIT CMD...: runs CMD under a time limit, records passed/FAILED.
step() {
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS rc=0
  # bash -c: CMD may be an exported function (run_logged)
  timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@" || rc=$?
  local verdict=passed
  if [ "$rc" != 0 ]; then
    verdict="FAILED (exit $rc)"
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && verdict="FAILED (over its ${limit}s limit)"
    FAILS+=("$name")
  fi
  RESULTS+=("$(printf '%-34s %-28s %4ss' "$name" "$verdict" $((SECONDS - t0)))")
  return 0
}

if [ -z "${SKIP_BUILD:-}" ] && [ "$BIN" = "$ROOT/target/release/rbpk" ]; then
  say "build (release)"
  cargo build --release -q || die "cargo build --release failed"
fi
[ -x "$BIN" ] || die "no binary at $BIN"

say "the contract: $SPEC"
python3 - "$SPEC" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ops = sum(1 for p in d["paths"].values() for m in p if m in ("get", "put", "post", "patch", "delete", "head", "options"))
print(f"OpenAPI {d['openapi']}, {len(d['paths'])} paths, {ops} operations, "
      f"{len(d.get('components', {}).get('schemas', {}))} schemas, {len(json.dumps(d))} bytes")
PY

say "1. lint: spectral (bench/contract/lint.sh)"
step "lint (spectral)" 300 bash bench/contract/lint.sh

say "2. Python client: openapi-python-client + mypy (bench/contract/python/client.sh generate)"
step "python: generate + mypy" 300 bash bench/contract/python/client.sh generate

say "3. TypeScript: openapi-typescript + tsc (bench/contract/ts/client.sh generate)"
step "typescript: generate + tsc" 300 bash bench/contract/ts/client.sh generate

start_server() {
  local log=$1
  if curl -s -o /dev/null --max-time 2 "$BASE/health/live"; then
    echo "something already answers on $BASE; set CONTRACT_PORT" >&2
    return 1
  fi
  RBPK_BIND="127.0.0.1:$PORT" RUST_LOG=warn DEMO_PASSWORD="$PASSWORD" \
    RBPK_JWT_SECRET="contract-secret-contract-secret-0042" RBPK_TOKEN_TTL=3600 \
    "$BIN" serve > "$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$log" >&2; return 1; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health/ready")" = 200 ] && return 0
    sleep 0.5
  done
  echo "rbpk serve not ready within 120 s" >&2
  return 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# run_logged LOG CMD...: runs CMD, its output to the terminal and LOG.
run_logged() {
  local log=$1; shift
  "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}
export -f run_logged

cycle_backend() {
  local backend=$1 dir="$OUT/$1"
  rm -rf "$dir"; mkdir -p "$dir"
  say "4. [$backend] fresh database, demo accounts and data, rbpk serve on $BASE"
  if [ "$backend" = sqlite ]; then
    export DATABASE_URL="$ROOT/$dir/contract.sqlite3"
  else
    PG_DB="rbpk_contract_$$_$RANDOM"
    if ! psql -q "$PG/postgres" -c "CREATE DATABASE $PG_DB"; then
      PG_DB=""
      FAILS+=("[$backend] server"); RESULTS+=("[$backend] cannot create a database on $PG")
      return 0
    fi
    export DATABASE_URL="$PG/$PG_DB"
  fi
  if ! start_server "$dir/serve.log"; then
    FAILS+=("[$backend] server"); RESULTS+=("[$backend] rbpk serve did not start (log $dir/serve.log)")
    stop_server
    return 0
  fi
  say "[$backend] python client: cycle.py"
  step "[$backend] python: cycle.py" 150 run_logged "$dir/python.log" \
    bash bench/contract/python/client.sh run "$BASE" "$PASSWORD" "$YEAR"
  say "[$backend] typescript client: cycle.js"
  step "[$backend] typescript: cycle.js" 150 run_logged "$dir/ts.log" \
    bash bench/contract/ts/client.sh run "$BASE" "$PASSWORD" "$YEAR"
  if grep -q "thread '.*' panicked" "$dir/serve.log"; then
    echo "panic in the server log:"; grep -m5 -A3 "panicked" "$dir/serve.log"
    FAILS+=("[$backend] server panicked"); RESULTS+=("[$backend] panic in $dir/serve.log")
  fi
  stop_server
  if [ -n "$PG_DB" ]; then
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
}

for b in $BACKENDS; do
  case "$b" in sqlite|postgres) cycle_backend "$b" ;; *) die "unknown backend $b" ;; esac
done

say "sizes"
python3 - "$SPEC" "$OUT" <<'PY'
import json, os, sys
spec, out = sys.argv[1], sys.argv[2]
d = json.load(open(spec))
ops = sum(1 for p in d["paths"].values() for m in p if m in ("get", "put", "post", "patch", "delete"))
print(f"contract: {ops} operations, {len(d['components']['schemas'])} schemas")
try:
    r = json.load(open(os.path.join(out, "spectral.json")))
    e = sum(1 for x in r if x["severity"] == 0); w = sum(1 for x in r if x["severity"] == 1)
    print(f"spectral: {e} errors, {w} warnings over {len({x['code'] for x in r})} rules")
except (OSError, ValueError):
    print("spectral: no results")
def tree(root, ext):
    files = [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs if f.endswith(ext)]
    return len(files), sum(sum(1 for _ in open(f, encoding="utf-8")) for f in files)
py = os.path.join(out, "python", "rbpk_client")
if os.path.isdir(py):
    n, l = tree(py, ".py")
    print(f"python client: {n} files, {l} lines "
          f"({len([f for f in os.listdir(os.path.join(py, 'models')) if f != '__init__.py'])} model modules)")
ts = os.path.join(out, "ts", "schema.d.ts")
if os.path.exists(ts):
    print(f"typescript types: schema.d.ts, {sum(1 for _ in open(ts, encoding='utf-8'))} lines")
for log in ("python/generate.log", "python/mypy.log", "ts/generate.log", "ts/tsc.log"):
    p = os.path.join(out, log)
    if os.path.exists(p):
        t = open(p, encoding="utf-8", errors="replace").read()
        n = {"python/generate.log": sum(1 for l in t.splitlines() if l.startswith(("WARNING", "ERROR"))),
             "python/mypy.log": t.count(": error:"), "ts/generate.log": 0,
             "ts/tsc.log": t.count("error TS")}[log]
        print(f"{log}: {n} {'warnings/errors' if 'generate' in log else 'errors'}")
PY

say "summary ($((SECONDS - START)) s)"
printf '%s\n' "${RESULTS[@]}"
if [ ${#FAILS[@]} -gt 0 ]; then
  for f in "${FAILS[@]}"; do printf 'FAIL: %s\n' "$f" >&2; done
  exit 1
fi
echo "contract tools: all checks passed"
