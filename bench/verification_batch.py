"""Seeds a program with 500 targets through the API and times one 500-item
POST /api/v1/verifications/batch, then its resend (all duplicates).
Used by bench/verification_batch.sh; prints `first_s resend_s created duplicate`."""
import datetime, json, sys, time, urllib.request, uuid

base, password, year = sys.argv[1], sys.argv[2], int(sys.argv[3])
N = 500
DEMO_COMPANY = "00000000-0000-4000-8000-000000000001"


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def ok(resp, what):
    st, body = resp
    if st >= 300:
        sys.exit(f"{what}: {st} {body}")
    return body


def token(user):
    return ok(call("POST", "/api/v1/auth/token", body={"username": user, "password": password}), "token")["access_token"]


admin, bappeda, company, verifier = (token(u) for u in ("admin", "bappeda", "company", "verifier"))
today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
day = lambda n: (today + datetime.timedelta(days=n)).isoformat()


def calendar(p, vs, ve, d):
    dates = {"proposals_close": day(p), "verification_start": day(vs), "verification_end": day(ve), "agreement_deadline": day(d)}
    st, _ = call("GET", f"/api/v1/cycles/{year}", bappeda)
    if st == 404:
        ok(call("POST", "/api/v1/cycles", bappeda, {"year": year, **dates}), "cycle")
    else:
        ok(call("PATCH", f"/api/v1/cycles/{year}", bappeda, dates), "calendar")


calendar(1, 2, 3, 4)
program = ok(call("POST", "/api/v1/programs", admin, {
    "cycle_year": year, "company_id": DEMO_COMPANY, "title": "Bench bedah rumah", "type": "housing",
    "strategy": "reduce_burden", "budget": 5_000_000_000, "opd_code": "DINSOS", "target_regions": ["64.02.06"],
    "region_override_reason": "benchmark"}), "program")
pid = program["id"]
ok(call("POST", f"/api/v1/programs/{pid}/transitions", company, {"action": "submit"}), "submit")
calendar(-1, 0, 1, 2)
ok(call("POST", f"/api/v1/programs/{pid}/transitions", bappeda, {"action": "consolidate"}), "consolidate")
targets = []
page = 1
while len(targets) < N:
    hh = ok(call("GET", f"/api/v1/households?status=active&per_page=200&page={page}", admin), "households")
    if not hh["items"]:
        sys.exit(f"only {len(targets)} households could be targeted")
    for h in hh["items"]:
        if len(targets) == N:
            break
        st, t = call("POST", f"/api/v1/programs/{pid}/targets", admin, {"household_id": h["id"], "planned_value": 25_000_000})
        if st == 201:
            targets.append(t["id"])
    page += 1

items = [{"client_id": f"uuid:{uuid.uuid4()}", "target_id": t, "visited_on": day(0),
          "result": "eligible" if i % 5 else "ineligible", "notes": "Rumah papan, atap bocor, lantai tanah.",
          "latitude": -0.43 - i / 10000, "longitude": 116.98, "consent_to_share": i % 2 == 0,
          "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
         for i, t in enumerate(targets)]
start = time.perf_counter()
first = ok(call("POST", "/api/v1/verifications/batch", verifier, {"items": items}), "batch")
first_s = time.perf_counter() - start
start = time.perf_counter()
again = ok(call("POST", "/api/v1/verifications/batch", verifier, {"items": items}), "resend")
again_s = time.perf_counter() - start
print(f"{first_s:.2f} {again_s:.2f} {first['summary']['created']} {again['summary']['duplicate']}")
