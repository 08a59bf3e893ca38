"""A webhook receiver for bench/faults/webhooks.sh: checks every request with
the `standardwebhooks` package (an implementation of the Standard Webhooks
signature independent of ours), answers 204 when it verifies (400 when not),
and appends one JSON line per request to LOG: the webhook-id, the event's
type and cursor-free data, start and end times, and whether it verified.

    python3 webhook_receiver.py PORT SECRET LOG [DELAY_SECONDS]
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

port, secret, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
delay = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
verifier = Webhook(secret)
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        start = time.time()
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            event = verifier.verify(body, headers)
            ok = True
        except Exception as e:  # any failure to verify is a finding
            event, ok = {"error": str(e)}, False
        if delay:
            time.sleep(delay)
        self.send_response(204 if ok else 400)
        self.end_headers()
        line = {
            "id": headers.get("webhook-id"),
            "type": event.get("type") if ok else None,
            "verified": ok,
            "start": start,
            "end": time.time(),
        }
        with lock, open(log_path, "a") as f:
            f.write(json.dumps(line) + "\n")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
