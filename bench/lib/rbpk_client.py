"""A small client of the RBPK API for the bench and check scripts (standard
library only): calls with a bearer token, tokens of the demo accounts, the
regency's today, a cycle calendar relative to it, and a consolidated program
with targets, as the whole cycle reaches one."""
import datetime
import json
import sys
import urllib.error
import urllib.request

DEMO_COMPANY = "00000000-0000-4000-8000-000000000001"


class Api:
    def __init__(self, base, password):
        self.base = base
        self.password = password
        # The regency's day (WITA, UTC+8), as the server judges dates.
        self.today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()

    def day(self, n):
        return (self.today + datetime.timedelta(days=n)).isoformat()

    def raw(self, method, path, token=None, data=None, content_type="application/json", timeout=120):
        """Returns (status, headers, body bytes)."""
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", content_type)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def call(self, method, path, token=None, body=None):
        data = json.dumps(body).encode() if body is not None else None
        st, _, raw = self.raw(method, path, token, data)
        return st, json.loads(raw or b"null")

    def token(self, user):
        return ok(self.call("POST", "/api/v1/auth/token", body={"username": user, "password": self.password}), "token")["access_token"]

    def calendar(self, token, year, p, vs, ve, d):
        dates = {"proposals_close": self.day(p), "verification_start": self.day(vs),
                 "verification_end": self.day(ve), "agreement_deadline": self.day(d)}
        st, _ = self.call("GET", f"/api/v1/cycles/{year}", token)
        if st == 404:
            ok(self.call("POST", "/api/v1/cycles", token, {"year": year, **dates}), "cycle")
        else:
            ok(self.call("PATCH", f"/api/v1/cycles/{year}", token, dates), "calendar")

    def consolidated_program(self, year, n, title="Bench bedah rumah"):
        """A housing program of the demo company in Tenggarong (64.02.06),
        consolidated, with `n` targets, and today inside the verification
        window. Returns (program id, target ids)."""
        admin, bappeda, company = (self.token(u) for u in ("admin", "bappeda", "company"))
        self.calendar(bappeda, year, 1, 2, 3, 4)
        program = ok(self.call("POST", "/api/v1/programs", admin, {
            "cycle_year": year, "company_id": DEMO_COMPANY, "title": title, "type": "housing",
            "strategy": "reduce_burden", "budget": 5_000_000_000, "opd_code": "DINSOS", "target_regions": ["64.02.06"],
            "region_override_reason": "benchmark"}), "program")
        pid = program["id"]
        ok(self.call("POST", f"/api/v1/programs/{pid}/transitions", company, {"action": "submit"}), "submit")
        self.calendar(bappeda, year, -1, 0, 1, 2)
        ok(self.call("POST", f"/api/v1/programs/{pid}/transitions", bappeda, {"action": "consolidate"}), "consolidate")
        targets = []
        page = 1
        while len(targets) < n:
            hh = ok(self.call("GET", f"/api/v1/households?status=active&per_page=200&page={page}", admin), "households")
            if not hh["items"]:
                sys.exit(f"only {len(targets)} households could be targeted")
            for h in hh["items"]:
                if len(targets) == n:
                    break
                st, t = self.call("POST", f"/api/v1/programs/{pid}/targets", admin, {"household_id": h["id"], "planned_value": 25_000_000})
                if st == 201:
                    targets.append(t["id"])
            page += 1
        return pid, targets


def ok(resp, what):
    st, body = resp
    if st >= 300:
        sys.exit(f"{what}: {st} {body}")
    return body
