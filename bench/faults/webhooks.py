"""Driver of bench/faults/webhooks.sh (issue 16, item 4). Starts the service
instances and the receiver itself, makes events through the API, and checks
what the receiver got against the event feed.

    python3 webhooks.py BIN OUT RECEIVER_PORT PORT_A PORT_B PASSWORD
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta

BIN, OUT, RPORT, PORT_A, PORT_B, PASSWORD = sys.argv[1:7]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LOG = os.path.join(OUT, "webhooks.received.jsonl")
HERE = os.path.dirname(os.path.abspath(__file__))
findings = []


def say(msg):
    print(f"\n==> {msg}", flush=True)


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def call(port, method, path, token=None, body=None):
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


instances = {}


def start(port):
    log = open(os.path.join(OUT, f"webhooks.serve-{port}.log"), "a")
    env = dict(os.environ, RBPK_BIND=f"127.0.0.1:{port}")
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    instances[port] = p
    for _ in range(240):
        if p.poll() is not None:
            fail(f"rbpk serve on {port} exited at start (see {log.name})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    fail(f"rbpk serve on {port} not ready within 120 s")


def kill(port):
    p = instances.pop(port)
    p.send_signal(signal.SIGKILL)
    p.wait()


receiver = None


def start_receiver(delay=0.0):
    global receiver
    receiver = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "webhook_receiver.py"), RPORT, SECRET, LOG, str(delay)]
    )
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{RPORT}/", timeout=1)
        except urllib.error.HTTPError:
            return  # it answers (501 for GET): up
        except Exception:
            time.sleep(0.1)
    fail("the receiver did not start")


def stop_receiver():
    global receiver
    if receiver:
        receiver.terminate()
        receiver.wait()
        receiver = None


def received():
    if not os.path.exists(LOG):
        return []
    with open(LOG) as f:
        return [json.loads(line) for line in f if line.strip()]


def token(port, username):
    status, body = call(port, "POST", "/api/v1/auth/token", body={"username": username, "password": PASSWORD})
    if status != 200:
        fail(f"token for {username}: {status} {body}")
    return body["access_token"]


def make_events(n, label):
    """n programs submitted, alternately through each live instance: n
    program.status_changed events (draft → proposed)."""
    ports = list(instances)
    for i in range(n):
        port = ports[i % len(ports)]
        status, body = call(port, "POST", "/api/v1/programs", company, {
            "cycle_year": 2031, "title": f"{label} {i}", "type": "water",
            "strategy": "reduce_burden", "budget": 1000000})
        if status != 201:
            fail(f"create program: {status} {body}")
        status, body = call(port, "POST", f"/api/v1/programs/{body['id']}/transitions", company, {"action": "submit"})
        if status != 200:
            fail(f"submit program: {status} {body}")


def feed_ids():
    ids, after = [], 0
    while True:
        status, page = call(PORT_A if PORT_A in instances else list(instances)[0], "GET",
                            f"/api/v1/events?after={after}&limit=500", admin)
        if status != 200:
            fail(f"feed: {status} {page}")
        ids += [e["id"] for e in page["items"] if e["type"] == "program.status_changed"]
        if not page["items"]:
            return ids
        after = page["next"]


def wait_for(expected, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = {r["id"] for r in received() if r["verified"]}
        if set(expected) <= got:
            return True
        time.sleep(0.2)
    return False


def check(expected, label, duplicates_allowed):
    lines = received()
    bad = [r for r in lines if not r["verified"]]
    if bad:
        findings.append(f"{label}: {len(bad)} requests failed the standardwebhooks check: {bad[:2]}")
    first = []
    for r in lines:
        if r["id"] not in first:
            first.append(r["id"])
    ours = [i for i in first if i in set(expected)]
    if ours != expected:
        findings.append(f"{label}: not in the feed's order (first receipts {ours[:5]}… vs feed {expected[:5]}…)")
    counts = {}
    for r in lines:
        counts[r["id"]] = counts.get(r["id"], 0) + 1
    dups = sum(c - 1 for i, c in counts.items() if i in set(expected))
    if dups and not duplicates_allowed:
        findings.append(f"{label}: {dups} events received more than once")
    by_id = {}
    for r in lines:
        by_id.setdefault(r["id"], []).append((r["start"], r["end"]))
    overlapping = [i for i, spans in by_id.items()
                   if any(a[0] < b[1] and b[0] < a[1] for x, a in enumerate(spans) for b in spans[x + 1:])]
    if overlapping:
        findings.append(f"{label}: {len(overlapping)} events delivered twice at once")
    print(f"{label}: {len(expected)} events, {len(lines)} requests, {dups} repeated, "
          f"{len(overlapping)} concurrent repeats, {len(bad)} unverified")


say(f"two instances on {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}: ports {PORT_A} and {PORT_B}")
start(PORT_A)
start(PORT_B)
admin = token(PORT_A, "admin")
company = token(PORT_A, "company")
bappeda = token(PORT_A, "bappeda")
today = date.today()
status, body = call(PORT_A, "POST", "/api/v1/cycles", bappeda, {
    "year": 2031, "proposals_close": str(today + timedelta(days=30)),
    "verification_start": str(today + timedelta(days=40)), "verification_end": str(today + timedelta(days=50)),
    "agreement_deadline": str(today + timedelta(days=60))})
if status != 201:
    fail(f"cycle 2031: {status} {body}")
status, body = call(PORT_A, "POST", "/api/v1/webhooks", admin, {
    "url": f"http://127.0.0.1:{RPORT}/hooks/rbpk", "events": ["program.status_changed"], "secret": SECRET})
if status != 201:
    fail(f"webhook: {status} {body}")
hook = body["id"]

say("1. the receiver down while 20 events happen, then back; two instances deliver")
make_events(20, "down")
time.sleep(2)
if received():
    fail("the receiver got requests while it was down")
start_receiver()
expected = feed_ids()
if not wait_for(expected, 90):
    fail(f"1: not every event arrived within 90 s: {len({r['id'] for r in received()})} of {len(expected)}")
check(expected, "receiver down then back", duplicates_allowed=False)

say("2. both instances killed (SIGKILL) mid-delivery to a slow receiver, then restarted")
stop_receiver()
start_receiver(delay=0.4)
before = len(received())
make_events(15, "kill")
deadline = time.time() + 30
while len(received()) < before + 3 and time.time() < deadline:
    time.sleep(0.05)
kill(PORT_A)
kill(PORT_B)
print(f"killed with {len(received()) - before} of 15 delivered")
start(PORT_A)
start(PORT_B)
expected = feed_ids()
if not wait_for(expected, 120):
    fail(f"2: not every event arrived within 120 s after the restart: "
         f"{len({r['id'] for r in received()} & set(expected))} of {len(expected)}")
time.sleep(1)
# At least once: one killed in flight may arrive again, never concurrently.
check(expected, "killed mid-delivery", duplicates_allowed=True)

status, log = call(PORT_A, "GET", f"/api/v1/webhooks/{hook}/deliveries?status=pending", admin)
if status != 200 or log["total"] != 0:
    findings.append(f"pending deliveries left: {log}")
stop_receiver()
for port in list(instances):
    kill(port)
if findings:
    for f in findings:
        print(f"FAIL: {f}", file=sys.stderr)
    sys.exit(1)
print("\nwebhook faults: passed")
