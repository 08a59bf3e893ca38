#!/usr/bin/env bash
# Contract lint (issue 12, item 4): Spectral with the committed .spectral.yaml
# (spectral:oas + @stoplight/spectral-owasp-ruleset) over openapi/openapi.json.
# Fails (exit 1, `FAIL:` lines) on any error-severity result; warnings are
# counted and listed, not fatal. Also checks what the rule turned off in
# .spectral.yaml (oas3-operation-security-defined) covered besides scopes:
# every security requirement names a scheme of components.securitySchemes.
#
#   bash bench/contract/lint.sh
# Installs the pinned CLI and ruleset with npm into bench/out/node; writes the
# JSON results and a per-rule summary (which schemas and operations) to
# bench/out/contract/ (spectral.json, spectral-summary.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SPECTRAL_VERSION=6.16.3
OWASP_VERSION=2.0.1
NODE_DIR=bench/out/node
OUT=bench/out/contract
SPEC="${CONTRACT_SPEC:-openapi/openapi.json}"

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

command -v npm >/dev/null || fail "node/npm are not installed (node 20 with npm needed)"
mkdir -p "$NODE_DIR" "$OUT"
installed() { node -p "require('./$NODE_DIR/node_modules/$1/package.json').version" 2>/dev/null; }
if [ "$(installed @stoplight/spectral-cli)" != "$SPECTRAL_VERSION" ] \
   || [ "$(installed @stoplight/spectral-owasp-ruleset)" != "$OWASP_VERSION" ]; then
  [ -f "$NODE_DIR/package.json" ] || echo '{"private": true}' > "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --silent --save-exact \
    "@stoplight/spectral-cli@$SPECTRAL_VERSION" "@stoplight/spectral-owasp-ruleset@$OWASP_VERSION") \
    || fail "npm install of spectral $SPECTRAL_VERSION / owasp ruleset $OWASP_VERSION failed"
fi
echo "spectral $(installed @stoplight/spectral-cli), @stoplight/spectral-owasp-ruleset $(installed @stoplight/spectral-owasp-ruleset): $SPEC with .spectral.yaml"

# The ruleset names an npm package: resolve it from bench/out/node.
rc=0
NODE_PATH="$ROOT/$NODE_DIR/node_modules" "$NODE_DIR/node_modules/.bin/spectral" lint \
  -r .spectral.yaml -f json -o "$OUT/spectral.json" --fail-severity error "$SPEC" \
  > "$OUT/spectral.log" 2>&1 || rc=$?
# Exit 1 means "results at or above error"; anything else is the tool failing.
if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
  cat "$OUT/spectral.log" >&2
  fail "spectral did not run (exit $rc)"
fi
[ -s "$OUT/spectral.json" ] || fail "spectral wrote no results ($OUT/spectral.log)"

python3 bench/contract/spectral_summary.py "$SPEC" "$OUT/spectral.json" --markdown --all > "$OUT/spectral-summary.md"
python3 bench/contract/spectral_summary.py "$SPEC" "$OUT/spectral.json" > "$OUT/spectral-summary.txt"
# The per-rule table, then the errors' locations (abridged; full list in the .md).
awk 'NR <= 2 || /^Results/ || /^  (error|warning|info|hint) /' "$OUT/spectral-summary.txt"
echo "(locations of every result: $OUT/spectral-summary.md)"

failed=0
errors=$(python3 -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1])) if r["severity"] == 0))' "$OUT/spectral.json")
if [ "$errors" != 0 ]; then
  failed=1
  python3 - "$OUT/spectral.json" >&2 <<'PY'
import collections, json, sys
c = collections.Counter(r["code"] for r in json.load(open(sys.argv[1])) if r["severity"] == 0)
for code, n in c.most_common():
    print(f"FAIL: spectral: {n} x {code}")
PY
fi

# Security requirements name defined schemes (what the turned-off rule also checked).
python3 - "$SPEC" <<'PY' || failed=1
import json, sys
d = json.load(open(sys.argv[1]))
schemes = set(d.get("components", {}).get("securitySchemes", {}))
bad = []
reqs = [("(root)", r) for r in d.get("security", [])]
for path, item in d.get("paths", {}).items():
    for method, op in item.items():
        if isinstance(op, dict) and "responses" in op:
            reqs += [(f"{method.upper()} {path}", r) for r in op.get("security", [])]
for where, req in reqs:
    bad += [f"{where}: {name}" for name in req if name not in schemes]
for b in bad:
    print(f"FAIL: security requirement names an undefined scheme: {b}", file=sys.stderr)
print(f"security requirements: {len(reqs)}, all name a defined scheme" if not bad else "")
sys.exit(1 if bad else 0)
PY
[ "$failed" = 0 ] && echo "lint: passed (0 errors)"
exit $failed
