#!/usr/bin/env bash
# Python client from the contract (issue 12, item 4): openapi-python-client
# generates a client from openapi/openapi.json; mypy type-checks the generated
# client and cycle.py against it; cycle.py then drives the yearly cycle
# through that client against a running server.
#
#   bash bench/contract/python/client.sh generate          # generate + type-check
#   bash bench/contract/python/client.sh run BASE PASSWORD YEAR
#
# Fails (exit 1, `FAIL:` lines) on: any warning or error the generator prints
# (operations or schemas it cannot handle are dropped with a warning), any
# mypy error, any failing check of cycle.py. Tools are pinned and installed
# into bench/out/venv-contract; generated code goes to
# bench/out/contract/python/rbpk_client (not committed).
set -uo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD

OPC_VERSION=0.29.1
MYPY_VERSION=1.19.1
VENV=bench/out/venv-contract
OUT=bench/out/contract/python
SPEC="${CONTRACT_SPEC:-openapi/openapi.json}"

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

install() {
  if ! "$VENV/bin/openapi-python-client" --version 2>/dev/null | grep -q "$OPC_VERSION" \
     || ! "$VENV/bin/mypy" --version 2>/dev/null | grep -q "$MYPY_VERSION"; then
    python3 -m venv "$VENV" || fail "python3 -m venv failed (apt-get install python3-venv?)"
    "$VENV/bin/pip" install -q --disable-pip-version-check \
      "openapi-python-client==$OPC_VERSION" "mypy==$MYPY_VERSION" \
      || fail "pip install openapi-python-client==$OPC_VERSION mypy==$MYPY_VERSION failed"
  fi
}

generate() {
  install
  mkdir -p "$OUT"
  rm -rf "$OUT/rbpk_client"
  echo "openapi-python-client $OPC_VERSION: generate from $SPEC"
  local rc=0
  "$VENV/bin/openapi-python-client" generate --path "$SPEC" --output-path "$OUT/rbpk_client" \
    --meta none --config bench/contract/python/config.yaml > "$OUT/generate.log" 2>&1 || rc=$?
  local failed=0
  [ "$rc" = 0 ] || { echo "generator exit $rc"; failed=1; }
  # Every warning block: "WARNING parsing GET /x within y." (+ the reason on
  # the lines after it); "Warning(s) encountered..." heads them.
  local warnings
  warnings=$(grep -Eci '^(warning|error)' "$OUT/generate.log" || true)
  if [ "$warnings" != 0 ]; then
    failed=1
    echo "generator printed $warnings warning/error lines:"
    awk '/^(WARNING|ERROR)/ {p=1; print "  " $0; next} p && /^$/ {n++} p && n<2 && NF && !/^[{} ]/ {print "    " $0} /^(WARNING|ERROR)/ {n=0}' "$OUT/generate.log" \
      | grep -v '^    "' | head -60
    grep -E '^(WARNING|ERROR) ' "$OUT/generate.log" | sed 's/^/FAIL: python generator: /' >&2
  fi
  [ -d "$OUT/rbpk_client" ] || fail "python generator wrote no client (log $OUT/generate.log)"
  local files lines
  files=$(find "$OUT/rbpk_client" -name '*.py' | wc -l)
  lines=$(find "$OUT/rbpk_client" -name '*.py' -exec cat {} + | wc -l)
  local ops models
  ops=$(find "$OUT/rbpk_client/api" -name '*.py' ! -name '__init__.py' | wc -l)
  models=$(find "$OUT/rbpk_client/models" -name '*.py' ! -name '__init__.py' | wc -l)
  echo "generated python client: $files files, $lines lines; $ops operation modules, $models model modules"

  echo "mypy $MYPY_VERSION: the generated client and bench/contract/python/cycle.py"
  local mrc=0
  (cd "$OUT" && MYPYPATH="$ROOT/$OUT" "$ROOT/$VENV/bin/mypy" --cache-dir "$ROOT/bench/out/contract/mypy-cache" \
      --python-version 3.11 --no-color-output --strict \
      rbpk_client "$ROOT/bench/contract/python/cycle.py") > "$OUT/mypy.log" 2>&1 || mrc=$?
  if [ "$mrc" != 0 ]; then
    failed=1
    grep -E ': error:' "$OUT/mypy.log" | sed "s|$ROOT/||" | sed 's/^/FAIL: mypy: /' >&2
    tail -1 "$OUT/mypy.log"
  else
    echo "mypy: no errors"
  fi
  return $failed
}

run_cycle() {
  [ -d "$OUT/rbpk_client" ] || fail "no generated client; run '$0 generate' first"
  PYTHONPATH="$ROOT/$OUT" timeout 120 "$VENV/bin/python" bench/contract/python/cycle.py "$@"
}

case "${1:-}" in
  generate) generate ;;
  run) shift; [ $# = 3 ] || fail "usage: $0 run BASE PASSWORD YEAR"; run_cycle "$@" ;;
  *) fail "usage: $0 generate | run BASE PASSWORD YEAR" ;;
esac
