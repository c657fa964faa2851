"""Fixtures for the money tests: providers, signed events, localstripe, an HTTP recorder."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

DEMO_PROVIDERS = {
    "demo": {
        "BACKEND": "samizdat.support.providers.demo.DemoProvider",
        "OPTIONS": {"SECRET": "demo-test-secret", "MAX_FAILED_RENEWALS": 3},
    },
    "bank_transfer": {"BACKEND": "samizdat.support.providers.bank_transfer.BankTransferProvider"},
}
STRIPE_WEBHOOK_SECRET = "whsec_test_samizdat"


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = dict(DEMO_PROVIDERS)
    settings.SAMIZDAT_SUPPORT_LOCK_EVENTS = True


@pytest.fixture
def demo():
    from samizdat.support.providers.base import get_provider

    return get_provider("demo")


@pytest.fixture
def make_pledge(db):
    from samizdat.support.models import Pledge, Supporter

    def make(provider="demo", amount_minor=500, currency="USD", frequency="monthly", **extra):
        supporter = Supporter.objects.create(email=extra.pop("email", "reader@example.org"))
        return Pledge.objects.create(provider=provider, amount_minor=amount_minor,
                                     currency=currency, frequency=frequency,
                                     supporter=supporter, **extra)

    return make


@pytest.fixture
def make_contribution(db):
    from samizdat.support.models import Contribution

    def make(provider="demo", amount_minor=2500, currency="USD", **extra):
        return Contribution.objects.create(provider=provider, amount_minor=amount_minor,
                                           currency=currency, **extra)

    return make


def stripe_signature(body, secret=STRIPE_WEBHOOK_SECRET, timestamp=None):
    """A Stripe-Signature header computed the way Stripe documents it."""
    import hashlib
    import hmac

    timestamp = int(time.time() if timestamp is None else timestamp)
    payload = f"{timestamp}.".encode() + body
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class Recorder:
    """A loopback HTTP server that records requests and answers with canned JSON."""

    def __init__(self):
        self.requests = []
        self.responses = {}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                recorder.requests.append({
                    "method": self.command, "path": self.path,
                    "headers": dict(self.headers), "form": dict(parse_qsl(body)), "body": body,
                })
                status, payload = recorder.responses.get(
                    (self.command, self.path.split("?")[0]), (404, {"error": {"message": "no"}})
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.close()
