"""Fixtures for the support app's tests: payment providers, signed events, localstripe, an
HTTP recorder, servers, the outlet's legal details, a real SMTP server (tests/smtp.py)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from tests.smtp import smtp_inbox  # noqa: F401 (a fixture for the receipts tests)

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


@pytest.fixture
def stripe_events(settings):
    """Stripe configured for signed events only: its API address answers nothing."""
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "stripe": {
            "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
            "OPTIONS": {"SECRET_KEY": "sk_test_samizdat", "API_BASE": "http://127.0.0.1:9",
                        "WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET},
        },
    }


@pytest.fixture
def outlet(db):
    """The default site's outlet settings, with a legal name and address."""
    from wagtail.models import Site

    from samizdat.news.models import OutletSettings

    site = Site.objects.get(is_default_site=True)
    settings_obj = OutletSettings.for_site(site)
    settings_obj.name = "The Free Courier"
    settings_obj.legal_name = "Free Courier Media SIA"
    settings_obj.postal_address = "Brivibas iela 1\nRiga LV-1010\nLatvia"
    settings_obj.save()
    return settings_obj


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


@pytest.fixture(scope="session")
def localstripe():
    """localstripe 1.15.10 in a subprocess on 127.0.0.1; yields its base URL."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import free_port

    root = Path(__file__).resolve().parents[2]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.localstripe_launcher", str(port)],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    ends = time.monotonic() + 60  # a deadline, not a count: a loaded machine is slow
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None:
            pytest.fail("localstripe exited at start")
        if time.monotonic() > ends:
            process.kill()
            pytest.fail("localstripe did not start in 60 s")
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_client(localstripe):
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{localstripe}/_config/data", method="DELETE"))
    import stripe

    return stripe.StripeClient("sk_test_samizdat", base_addresses={"api": localstripe},
                               max_network_retries=0)


def wait_for(predicate, timeout=60):
    """Poll until localstripe's asynchronous webhooks have had their effect (a deadline,
    not a count of tries: on a loaded machine a webhook can take seconds)."""
    check = settled(predicate)
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if check():
            return True
        time.sleep(0.1)
    return check()


def settled(predicate):
    """A predicate that reads as False while the server thread holds the shared in-memory
    SQLite connection (locked, or mid-transaction)."""
    from django.db import DatabaseError
    from django.db.transaction import TransactionManagementError

    def check():
        try:
            return predicate()
        except (DatabaseError, TransactionManagementError):
            return False

    return check


@pytest.fixture(scope="module")
def no_fundraising_group_hook():
    """Transactional tests flush the database, which re-sends post_migrate; the Fundraising
    group hook (samizdat/support/staff.py) then looks for wagtailadmin's permission before
    wagtail.admin has recreated it. Money tests need no staff group, so skip the hook."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    config = apps.get_app_config("support")
    disconnected = post_migrate.disconnect(sender=config, dispatch_uid="support.fundraising")
    yield
    if disconnected:
        from samizdat.support import staff

        staff.connect_post_migrate(config)


@pytest.fixture
def staff_client(client, django_user_model):
    """A client signed in as a superuser who passed the two-factor step."""
    from samizdat.users.testing import login_with_second_factor

    user = django_user_model.objects.create_superuser(username="fundraiser", password="x")
    return login_with_second_factor(client, user)


def _start_server(port=0, threaded=True):
    """The app on 127.0.0.1:<port> in a thread, sharing this test's database connection.

    Like live_server, but started per test with the connection the test holds now
    (pytest-django's session-wide server can keep an in-memory SQLite connection
    that earlier tests replaced). Unthreaded, requests are handled one at a time,
    which in-memory SQLite needs when a provider delivers events in parallel."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import WSGIServer
    from django.db import connections
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

    class SerialWSGIServer(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            # The server thread itself already uses the shared connections.
            super().__init__(*args, **kwargs)

    class ServerThread(LiveServerThread):
        server_class = LiveServerThread.server_class if threaded else SerialWSGIServer

        def _create_server(self, connections_override=None):
            # Reuse the port at once: each test starts its own server on it.
            return self.server_class((self.host, self.port), QuietWSGIRequestHandler,
                                     allow_reuse_address=True,
                                     connections_override=connections_override)

    overrides = {conn.alias: conn for conn in connections.all()
                 if conn.vendor == "sqlite" and conn.is_in_memory_db()}
    thread = ServerThread("127.0.0.1", StaticFilesHandler,
                          connections_override=overrides, port=port)
    thread.daemon = True
    for conn in overrides.values():
        conn.inc_thread_sharing()
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error

    class Server:
        url = f"http://127.0.0.1:{thread.port}"

        @staticmethod
        def stop():
            thread.terminate()
            for conn in overrides.values():
                conn.dec_thread_sharing()

    return Server()


@pytest.fixture
def site_server(transactional_db):
    """Serial too: a browser's parallel requests must not interleave on one connection."""
    server = _start_server(threaded=False)
    yield server
    server.stop()


@pytest.fixture
def webhook_server(transactional_db):
    """An unthreaded server for provider webhooks (one request at a time)."""
    server = _start_server(threaded=False)
    yield server
    server.stop()


def retrying(read, attempts=50):
    """Run a read, retrying while the server thread holds the shared SQLite connection."""
    from django.db import DatabaseError
    from django.db.transaction import TransactionManagementError

    for _attempt in range(attempts - 1):
        try:
            return read()
        except (DatabaseError, TransactionManagementError):
            time.sleep(0.1)
    return read()
