#!/usr/bin/env bash
# TypeScript client from the contract (issue 12, item 4): openapi-typescript
# turns openapi/openapi.json into types (schema.d.ts); tsc (strict, see
# tsconfig.json) type-checks cycle.ts against them and compiles it in one pass
# (noEmitOnError: nothing is emitted when a type check fails); node runs the
# compiled cycle.js, which drives the yearly cycle through openapi-fetch.
#
#   bash bench/contract/ts/client.sh generate              # types + tsc
#   bash bench/contract/ts/client.sh run BASE PASSWORD YEAR
#
# Fails (exit 1, `FAIL:` lines) on any warning or error openapi-typescript
# prints, any tsc error, any failing check of cycle.js. Versions are pinned in
# package.json / package-lock.json; `npm ci` installs them into the work
# directory bench/out/contract/ts (not committed), which also gets the
# generated schema.d.ts and the compiled dist/cycle.js.
set -uo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
SRC=bench/contract/ts
WORK=bench/out/contract/ts
SPEC="${CONTRACT_SPEC:-openapi/openapi.json}"

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

generate() {
  command -v node >/dev/null || fail "node is not installed (node 20 needed)"
  [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || fail "node $(node --version): 20 or later needed"
  mkdir -p "$WORK"
  if ! cmp -s "$SRC/package-lock.json" "$WORK/package-lock.json" || [ ! -x "$WORK/node_modules/.bin/tsc" ]; then
    cp "$SRC/package.json" "$SRC/package-lock.json" "$WORK/"
    (cd "$WORK" && npm ci --no-audit --no-fund --silent) || fail "npm ci in $WORK failed"
  fi
  cp "$SRC/tsconfig.json" "$SRC/cycle.ts" "$WORK/"
  rm -rf "$WORK/dist" "$WORK/schema.d.ts"
  local failed=0 v
  v=$("$WORK/node_modules/.bin/openapi-typescript" --version 2>/dev/null | tr -dc '0-9.')
  echo "openapi-typescript $v: types from $SPEC"
  local rc=0
  "$WORK/node_modules/.bin/openapi-typescript" "$ROOT/$SPEC" -o "$WORK/schema.d.ts" > "$WORK/generate.log" 2>&1 || rc=$?
  [ "$rc" = 0 ] || { failed=1; echo "openapi-typescript exit $rc"; }
  # It prints a banner and the output line; anything else is a warning or error.
  if grep -v -E '^(✨ openapi-typescript|🚀 )' "$WORK/generate.log" | grep -q .; then
    failed=1
    grep -v -E '^(✨ openapi-typescript|🚀 )' "$WORK/generate.log" | sed 's/^/FAIL: openapi-typescript: /' >&2
  fi
  [ -s "$WORK/schema.d.ts" ] || fail "openapi-typescript wrote no schema.d.ts (log $WORK/generate.log)"
  echo "generated types: schema.d.ts, $(wc -l < "$WORK/schema.d.ts") lines"

  echo "tsc $("$WORK/node_modules/.bin/tsc" --version | tr -dc '0-9.') (strict): cycle.ts against schema.d.ts"
  rc=0
  (cd "$WORK" && ./node_modules/.bin/tsc -p tsconfig.json --pretty false) > "$WORK/tsc.log" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    failed=1
    grep -E 'error TS' "$WORK/tsc.log" | sed 's/^/FAIL: tsc: /' >&2
    echo "tsc: $(grep -c 'error TS' "$WORK/tsc.log") errors (log $WORK/tsc.log)"
  else
    echo "tsc: no errors; compiled $WORK/dist/cycle.js"
  fi
  return $failed
}

run_cycle() {
  [ -f "$WORK/dist/cycle.js" ] || fail "no compiled cycle.js; run '$0 generate' first (or it did not type-check)"
  timeout 120 node "$WORK/dist/cycle.js" "$@"
}

case "${1:-}" in
  generate) generate ;;
  run) shift; [ $# = 3 ] || fail "usage: $0 run BASE PASSWORD YEAR"; run_cycle "$@" ;;
  *) fail "usage: $0 generate | run BASE PASSWORD YEAR" ;;
esac
