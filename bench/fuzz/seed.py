"""Seeds records for the fuzzer and writes a schemathesis.toml that hands their
ids to the operations that need them, so that `{id}` paths reach the handlers
instead of answering 404 to random UUIDs.

usage: seed.py BASE PASSWORD OUT_TOML
Creates (through the API): cycle 2027, a program of the demo company with one
target, and an exemption letter of the demo company; reads a household with a
member, a user and a company. Prints what it made.
"""
import json
import sys
import urllib.error
import urllib.request

base, password, out = sys.argv[1], sys.argv[2], sys.argv[3]


def call(method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                 method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:500]


def token(user):
    st, body = call("POST", "/api/v1/auth/token", body={"username": user, "password": password})
    assert st == 200, f"token for {user}: {st} {body}"
    return body["access_token"]


admin, company = token("admin"), token("company")
ids = {}
st, body = call("POST", "/api/v1/cycles", admin, {"year": 2027})
print(f"POST /cycles 2027: {st}")
st, me = call("GET", "/api/v1/auth/me", company)
company_id = me.get("company_id") if st == 200 else None
ids["company"] = company_id
st, hh = call("GET", "/api/v1/households?per_page=50&region=64.02.06", admin)
households = hh["items"] if st == 200 else []
with_member = [h for h in households if h.get("members_count")]
if with_member:
    ids["household"] = with_member[0]["id"]
    st, members = call("GET", f"/api/v1/households/{ids['household']}/members", admin)
    if st == 200:
        items = members["items"] if isinstance(members, dict) else members
        if items:
            ids["member"] = items[0]["id"]
st, users = call("GET", "/api/v1/users?per_page=200", admin)
if st == 200:
    # never hand the admin's own account to DELETE / PATCH
    others = [u for u in users["items"] if u["username"] == "viewer"]
    if others:
        ids["user"] = others[0]["id"]
# Records of their own for DELETE /users/{id} and DELETE …/members/{member_id}:
# the seeded ones must outlive the DELETEs for every later GET and PATCH.
st, doomed = call("POST", "/api/v1/users", admin, {
    "username": "fuzz.to.delete", "password": "a-long-password", "role": "viewer"})
if st in (200, 201):
    ids["user_to_delete"] = doomed["id"]
if "household" in ids:
    st, doomed = call("POST", f"/api/v1/households/{ids['household']}/members", admin,
                      {"name": "Anggota Hapus", "relation": "other"})
    if st in (200, 201):
        ids["member_to_delete"] = doomed["id"]
st, prog = call("POST", "/api/v1/programs", company, {
    "budget": 1200000000, "cycle_year": 2027, "opd_code": "DINSOS", "strategy": "reduce_burden",
    "target_regions": ["64.02.06"], "title": "Bedah rumah (fuzz seed)", "type": "housing"})
print(f"POST /programs (company): {st}")
if st in (200, 201):
    ids["program"] = prog["id"]
    if households:
        st, tgt = call("POST", f"/api/v1/programs/{prog['id']}/targets", admin,
                       {"household_id": households[-1]["id"], "planned_value": 30000000})
        print(f"POST /programs/{{id}}/targets (admin): {st}")
        if st in (200, 201):
            ids["target"] = tgt["id"]
    if len(households) > 1:
        # One for DELETE …/targets/{target_id}, so the seeded one stays.
        st, tgt = call("POST", f"/api/v1/programs/{prog['id']}/targets", admin,
                       {"household_id": households[-2]["id"], "planned_value": 30000000})
        if st in (200, 201):
            ids["target_to_delete"] = tgt["id"]
# A program of its own for DELETE /programs/{id}: deleting the seeded one
# would leave every later request (and the stateful phase's links from
# POST /programs, which the overrides below also fill) without it.
st, prog2 = call("POST", "/api/v1/programs", company, {
    "budget": 1000000, "cycle_year": 2027, "opd_code": "DINSOS", "strategy": "reduce_burden",
    "target_regions": ["64.02.06"], "title": "To delete (fuzz seed)", "type": "water"})
if st in (200, 201):
    ids["program_to_delete"] = prog2["id"]
st, letter = call("POST", "/api/v1/exemption-letters", company, {
    "cycle_year": 2027, "letter_date": "2026-11-20", "letter_number": "045/FUZZ/XI/2026",
    "reason": "Seed for contract fuzzing.", "reason_category": "financial_hardship"})
print(f"POST /exemption-letters (company): {st}")
if st in (200, 201):
    ids["letter"] = letter["id"]
st, report = call("POST", "/api/v1/realisation-reports", company, {"period": "2027-Q1"})
print(f"POST /realisation-reports (company): {st}")
if st in (200, 201):
    ids["report"] = report["id"]
print("seeded ids:", json.dumps(ids))

# (path regex, {parameter: id})
ops = [
    (r"^/api/v1/companies/\{id\}", {"id": ids.get("company")}),
    (r"^/api/v1/exemption-letters/\{id\}", {"id": ids.get("letter")}),
    # A config entry's include filters are OR-ed (a path regex and a method
    # would select every method on the path), so a one-method entry names the
    # operation instead.
    ("DELETE /api/v1/programs/{id}", {"id": ids.get("program_to_delete")}, {"by": "include-name"}),
    (r"^/api/v1/programs/\{id\}$", {"id": ids.get("program")}, {"exclude-method": "DELETE"}),
    ("DELETE /api/v1/programs/{id}/targets/{target_id}",
     {"id": ids.get("program"), "target_id": ids.get("target_to_delete")}, {"by": "include-name"}),
    (r"^/api/v1/programs/\{id\}/", {"id": ids.get("program"), "target_id": ids.get("target")},
     {"exclude-method": "DELETE"}),
    ("DELETE /api/v1/households/{id}/members/{member_id}",
     {"id": ids.get("household"), "member_id": ids.get("member_to_delete")}, {"by": "include-name"}),
    (r"^/api/v1/households/\{id\}", {"id": ids.get("household"), "member_id": ids.get("member")},
     {"exclude-method": "DELETE"}),
    ("DELETE /api/v1/users/{id}", {"id": ids.get("user_to_delete")}, {"by": "include-name"}),
    (r"^/api/v1/users/\{id\}", {"id": ids.get("user")}, {"exclude-method": "DELETE"}),
    (r"^/api/v1/realisation-reports/\{id\}", {"id": ids.get("report")}),
    (r"^/api/v1/cycles/\{year\}", {"year": 2027}),
]
# --checks all: a request the schema calls valid must not be refused, one it
# calls invalid must be. What no schema can say is left to the status the
# contract documents for it: 409 (the record's state), 412 (a stale or
# unknown If-Match, RFC 9110) and 422 (rules on other records or on today:
# dates not in the future, windows, references that must exist, a NIK's
# birth date, an Idempotency-Key reused) and 304 (a conditional GET whose
# If-None-Match names the current version). A schema-valid request is never
# a 400, 406 or 415. An invalid one may meet 412 (an If-Match naming no
# version fails its precondition).
lines = [
    "[checks.positive_data_acceptance]",
    'expected-statuses = ["2xx", "304", "401", "403", "404", "409", "412", "422", "429"]',
    "",
    "[checks.negative_data_rejection]",
    'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429"]',
    "",
]
for regex, params, *methods in ops:
    params = {k: v for k, v in params.items() if v is not None}
    if not params:
        continue
    filters = dict(methods[0]) if methods else {}
    lines.append("[[operations]]")
    lines.append(f"{filters.pop('by', 'include-path-regex')} = {json.dumps(regex)}")
    for key, method in filters.items():
        lines.append(f"{key} = {json.dumps(method)}")
    lines.append("parameters = { " + ", ".join(f'"path.{k}" = {json.dumps(v)}' for k, v in params.items()) + " }")
    lines.append("")
open(out, "w").write("\n".join(lines))
