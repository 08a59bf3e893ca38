"""Seeds a program with 500 targets through the API and times one 500-item
POST /api/v1/verifications/batch, then its resend (all duplicates).
Used by bench/verification_batch.sh; prints `first_s resend_s created duplicate`."""
import datetime, os, sys, time, uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from rbpk_client import Api, ok  # noqa: E402

base, password, year = sys.argv[1], sys.argv[2], int(sys.argv[3])
N = 500
api = Api(base, password)
pid, targets = api.consolidated_program(year, N)
verifier = api.token("verifier")

items = [{"client_id": f"uuid:{uuid.uuid4()}", "target_id": t, "visited_on": api.day(0),
          "result": "eligible" if i % 5 else "ineligible", "notes": "Rumah papan, atap bocor, lantai tanah.",
          "latitude": -0.43 - i / 10000, "longitude": 116.98, "consent_to_share": i % 2 == 0,
          "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
         for i, t in enumerate(targets)]
start = time.perf_counter()
first = ok(api.call("POST", "/api/v1/verifications/batch", verifier, {"items": items}), "batch")
first_s = time.perf_counter() - start
start = time.perf_counter()
again = ok(api.call("POST", "/api/v1/verifications/batch", verifier, {"items": items}), "resend")
again_s = time.perf_counter() - start
print(f"{first_s:.2f} {again_s:.2f} {first['summary']['created']} {again['summary']['duplicate']}")
