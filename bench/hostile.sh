#!/usr/bin/env bash
# Hostile inputs against the release binary (issue 10, items 5 and 7): the
# service's peak resident memory (VmHWM) while it is sent
#   1. five parallel 200 MiB POSTs with Idempotency-Key to a JSON route, as a
#      viewer, chunked (no Content-Length, so nothing is refused up front);
#   2. five parallel 200 MiB uploads with Idempotency-Key to the import route,
#      as a viewer (who may not import), chunked;
#   3. the hostile workbooks of the review: one cell at XFD1048576,
#      sst uniqueCount 10^12, one 1 MB shared string in 10,000 cells;
# and whether it is still up after each. Files are made by this script (python
# zipfile), nothing personal. Prints one line per step; exits 1 if the service
# died or answered 5xx.
#   bash bench/hostile.sh            (SKIP_BUILD=1 to use target/release/rbpk as is)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${HOSTILE_PORT:-18094}"
BASE="http://127.0.0.1:$PORT"
WORK=bench/out/hostile
BIN="${RBPK_BIN:-target/release/rbpk}"
PASSWORD="hostile-password-1"
mkdir -p "$WORK"
rm -f "$WORK"/db.sqlite3*
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q

DATABASE_URL="$WORK/db.sqlite3" RBPK_BIND="127.0.0.1:$PORT" RUST_LOG=warn \
  RBPK_JWT_SECRET="hostile-secret-hostile-secret-hostile-42" DEMO_PASSWORD="$PASSWORD" \
  "$BIN" serve > "$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health/ready")" = 200 ] && break
  sleep 0.5
done

token() {
  curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])'
}
VIEWER=$(token viewer)
BAPPEDA=$(token bappeda)
rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$PID/status"; }
hwm() { awk '/VmHWM/{print int($2/1024)}' "/proc/$PID/status"; }
alive() { kill -0 "$PID" 2>/dev/null && [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health/live")" = 200 ]; }
FAILED=0

# Streams $1 MiB of JSON-ish bytes, chunked, to $2 with token $3; prints the status.
stream() {
  python3 -c "
import sys
sys.stdout.buffer.write(b'{\"pad\": \"')
chunk = b'x' * (1 << 20)
for _ in range($1):
    sys.stdout.buffer.write(chunk)
" | curl -s -o /dev/null -w '%{http_code}\n' -X POST "$BASE$2" \
    -H "Authorization: Bearer $3" -H "Idempotency-Key: hostile-$RANDOM-$RANDOM" \
    -H "Content-Type: $4" -H 'Transfer-Encoding: chunked' --data-binary @- || echo 000
}

echo "start: RSS $(rss) MB"
for step in json import; do
  if [ $step = json ]; then path=/api/v1/cycles; type=application/json;
  else path="/api/v1/household-imports?format=p3ke"; type=text/csv; fi
  before=$(hwm)
  statuses=$(for _ in 1 2 3 4 5; do stream 200 "$path" "$VIEWER" "$type" & done; wait)
  statuses=$(echo "$statuses" | sort | uniq -c | tr -s ' \n' ' ')
  echo "5 × 200 MiB chunked POST $path as viewer: statuses [$statuses] peak RSS $before → $(hwm) MB, alive: $(alive && echo yes || echo NO)"
  alive || FAILED=1
  echo "$statuses" | grep -q ' 5[0-9][0-9]' && FAILED=1
done

python3 - "$WORK" <<'PY'
import sys, zipfile
out = sys.argv[1]
CT = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
RELS = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
WB = '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="KEPALA-KELUARGA" sheetId="1" r:id="rId1"/></sheets></workbook>'
WBRELS = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
HEAD = ["ID Keluarga P3KE", "Kode Kemdagri", "Nama Kepala Keluarga", "Desil Kesejahteraan", "NIK Kepala Keluarga"]
def book(name, sheet_rows, sst):
    with zipfile.ZipFile(f"{out}/{name}.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT); z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB); z.writestr("xl/_rels/workbook.xml.rels", WBRELS)
        z.writestr("xl/sharedStrings.xml", sst)
        z.writestr("xl/worksheets/sheet1.xml",
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + sheet_rows + '</sheetData></worksheet>')
header = '<row r="1">' + ''.join(f'<c r="{chr(65+i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEAD)) + '</row>'
empty_sst = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>'
book("far_cell", header + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>', empty_sst)
book("unique_count", header, '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>x</t></si></sst>')
big = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>' + 'y' * (1 << 20) + '</t></si></sst>'
rows = ''.join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}" t="s"><v>0</v></c><c r="C{r}" t="s"><v>0</v></c></row>' for r in range(2, 3335))
book("shared_string", header + rows, big)
PY

for f in far_cell unique_count shared_string; do
  before=$(hwm)
  size=$(stat -c %s "$WORK/$f.xlsx")
  resp=$(curl -s -X POST "$BASE/api/v1/household-imports?format=p3ke" -H "Authorization: Bearer $BAPPEDA" \
    -H 'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' \
    --data-binary @"$WORK/$f.xlsx" -w '\n%{http_code}')
  status=$(echo "$resp" | tail -1)
  outcome="$status $(echo "$resp" | head -1 | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d.get("code",""), (d.get("detail") or "")[:70])' 2>/dev/null)"
  if [ "$status" = 202 ]; then
    id=$(echo "$resp" | head -1 | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
    for _ in $(seq 1 240); do
      st=$(curl -s "$BASE/api/v1/household-imports/$id" -H "Authorization: Bearer $BAPPEDA" \
        | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d["status"], (d.get("error") or "")[:60])')
      case "$st" in done*|failed*) break;; esac
      sleep 0.5
    done
    outcome="202, then $st"
  fi
  echo "$f.xlsx ($size bytes): $outcome; peak RSS $before → $(hwm) MB, alive: $(alive && echo yes || echo NO)"
  alive || FAILED=1
  case "$status" in 5*) FAILED=1;; esac
done
echo "end: RSS $(rss) MB, peak $(hwm) MB"
exit $FAILED
