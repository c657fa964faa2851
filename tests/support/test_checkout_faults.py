"""Stripe failing while a reader starts a checkout: a clear message, the choices kept, the
contribution left pending, and a retry of the same form never opening a second Checkout Session.

A loopback HTTP server stands in for Stripe's API (STRIPE_API_BASE points at it) and keeps
Stripe's idempotency rules: the first request with a key that began executing is saved and
replayed to every later request with that key; a 5xx raised before execution saves nothing.
Faults are played in order, one per request: a hang longer than our timeout, a 500 or 502,
a connection dropped after Stripe created the session, a slow execution (during which another
request with the same key gets Stripe's 409).
"""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from samizdat.support.models import Contribution, Pledge

pytestmark = pytest.mark.django_db

TIMEOUT = 2.0  # seconds in all for one call, retries included; the fake hangs 10 s
SLOW = 0.3  # seconds a "slow" request executes: less than the SDK's shortest retry delay (0.5)


class FakeStripe:
    """POST /v1/checkout/sessions with Stripe's idempotency semantics and scripted faults."""

    def __init__(self):
        self.faults = []
        self.posts = []  # (idempotency key, fault) per request received
        self.sessions = []  # ids of sessions actually created
        self.saved = {}  # idempotency key -> (params, response body)
        self.in_progress = set()  # idempotency keys of requests executing now
        self.release = threading.Event()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                key = self.headers.get("Idempotency-Key", "")
                with fake.lock:
                    fault = fake.faults.pop(0) if fake.faults else None
                    fake.posts.append((key, fault))
                    busy = bool(key) and key in fake.in_progress
                    if not busy and fault not in {"500", "502"}:
                        fake.in_progress.add(key)
                if fault in {"500", "502"}:
                    status, body = int(fault), {"error": {"type": "api_error",
                                                          "message": "try again"}}
                elif busy:  # Stripe: another request with this key is still executing
                    status, body = 409, {"error": {
                        "type": "idempotency_error",
                        "message": "There is currently another in-progress request using "
                                   "this Idempotent Key. Please try again later."}}
                else:
                    if fault == "slow":
                        time.sleep(SLOW)
                    with fake.lock:
                        status, body = fake._execute(key, params)
                        fake.in_progress.discard(key)
                if fault == "hang":
                    fake.release.wait(10)  # the client gave up long before
                    return
                if fault == "drop":
                    self.close_connection = True
                    return  # the session exists; the answer never leaves
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _execute(self, key, params):
        if key in self.saved:
            saved_params, body = self.saved[key]
            if saved_params != params:
                return 400, {"error": {"type": "idempotency_error", "message": "mismatch"}}
            return 200, body
        session_id = f"cs_test_{len(self.sessions) + 1}"
        self.sessions.append(session_id)
        body = {"id": session_id, "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}"}
        if key:
            self.saved[key] = (params, body)
        return 200, body

    def keys(self):
        return {key for key, _fault in self.posts}

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe()
    settings.SAMIZDAT_PROVIDER_TIMEOUT = TIMEOUT
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "stripe": {
            "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
            # Production's default: one SDK retry under the same key.
            "OPTIONS": {"SECRET_KEY": "sk_test_samizdat", "API_BASE": fake.url,
                        "MAX_NETWORK_RETRIES": 1},
        },
    }
    yield fake
    fake.close()


HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def _method_form(client, prefix="", **choices):
    """Step 1, then the payment-method form's hidden fields, as the browser would post them."""
    data = {"frequency": "once", "currency": "EUR", "amount": "25", "email": "",
            "appeal": "winter", "variant": "b", "website": ""}
    data.update(choices)
    response = client.post(f"{prefix}/support/", data)
    assert response.status_code == 200
    fields = dict(HIDDEN.findall(response.content.decode()))
    assert fields["attempt"]
    return {**fields, "website": "", "method": "stripe"}


def _subject():
    (subject,) = list(Contribution.objects.all()) + list(Pledge.objects.all())
    return subject


SAYS_UNREACHABLE = "The payment service could not be reached. Nothing was charged"
SAYS_SLOW = "The payment service is slow to answer right now. Nothing was charged"


@pytest.mark.parametrize(
    ("faults", "executed_before_the_reader_retried", "status", "message", "posts"),
    [
        # Stripe made the session; the answer did not come within the call's deadline,
        # which leaves no time for a retry.
        (["hang"], 1, 504, SAYS_SLOW, 1),
        (["500", "502"], 0, 503, SAYS_UNREACHABLE, 2),  # failed before executing: nothing saved
        (["drop", "drop"], 1, 503, SAYS_UNREACHABLE, 2),  # made the session, then dropped
    ],
    ids=["timeout", "5xx", "dropped-connection"],
)
def test_failed_start_keeps_the_choices_and_the_retry_reuses_one_checkout(
        client, fake_stripe, faults, executed_before_the_reader_retried, status, message,
        posts):
    fields = _method_form(client)
    fake_stripe.faults = list(faults)

    first = client.post("/support/", fields)
    html = first.content.decode()
    assert first.status_code == status and first["Retry-After"].isdigit()
    assert message in html
    kept = {"frequency", "currency", "amount", "email", "appeal", "variant", "attempt"}
    assert {k: v for k, v in HIDDEN.findall(html) if k in kept} == {
        k: v for k, v in fields.items() if k in kept}
    assert "€25.00" in html
    subject = _subject()
    assert (subject.status, subject.amount_minor, subject.currency) == ("pending", 2500, "EUR")
    assert (subject.appeal, subject.variant, subject.checkout_ref) == ("winter", "b", "")
    assert len(fake_stripe.posts) == posts  # ours, and the SDK's one retry if time allows
    assert len(fake_stripe.sessions) == executed_before_the_reader_retried

    retry = client.post("/support/", fields)
    assert retry.status_code == 302
    assert retry["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert _subject().pk == subject.pk
    assert Contribution.objects.get().checkout_ref == "cs_test_1"
    assert fake_stripe.sessions == ["cs_test_1"]
    assert fake_stripe.keys() == {f"samizdat-checkout-{subject.reference}"}

    # Back from Stripe's page, the reader presses the button once more: the same session.
    again = client.post("/support/", fields)
    assert again["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert fake_stripe.sessions == ["cs_test_1"] and Contribution.objects.count() == 1


def test_a_monthly_plan_in_russian_fails_in_russian_and_is_reused(client, fake_stripe):
    fields = _method_form(client, prefix="/ru", frequency="monthly", amount="5",
                          email="reader@example.org")
    fake_stripe.faults = ["hang"]
    first = client.post("/ru/support/", fields)
    assert first.status_code == 504
    assert "Платёжный сервис сейчас отвечает слишком медленно" in first.content.decode()
    pledge = Pledge.objects.get()
    assert (pledge.status, pledge.email, pledge.language) == ("pending", "reader@example.org",
                                                              "ru")
    assert client.post("/ru/support/", fields).status_code == 302
    assert Pledge.objects.count() == 1 and fake_stripe.sessions == ["cs_test_1"]
    assert fake_stripe.keys() == {f"samizdat-checkout-{pledge.reference}"}


def test_one_sdk_retry_rides_out_a_single_fault_without_a_second_session(client, fake_stripe):
    fields = _method_form(client)
    fake_stripe.faults = ["drop"]
    response = client.post("/support/", fields)
    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert len(fake_stripe.posts) == 2 and len(fake_stripe.keys()) == 1
    assert fake_stripe.sessions == ["cs_test_1"]


def test_a_new_form_is_a_new_contribution_and_a_forged_attempt_is_ignored(client, fake_stripe):
    first = _method_form(client)
    assert client.post("/support/", first).status_code == 302
    second = _method_form(client)
    assert second["attempt"] != first["attempt"]
    assert client.post("/support/", second).status_code == 302
    forged = {**first, "attempt": first["attempt"][:-2] + "xx"}
    assert client.post("/support/", forged).status_code == 302
    # Same token, other choices (the hidden amount edited): not the first row either.
    assert client.post("/support/", {**first, "amount": "50"}).status_code == 302
    assert Contribution.objects.count() == 4
    assert len(fake_stripe.sessions) == len(fake_stripe.keys()) == 4


@pytest.mark.django_db(transaction=True)
def test_a_double_click_makes_one_contribution_and_one_checkout(client, fake_stripe):
    """The reader presses Continue twice: two requests of one form at the same moment. The
    browser shows the second answer, so both must lead to the one Checkout Session."""
    from django.test import Client

    fields = _method_form(client)
    fake_stripe.faults = ["slow"]
    start = threading.Barrier(2)
    answers = [None, None]

    def press(i):
        from django.db import connection

        start.wait()
        try:
            answers[i] = Client().post("/support/", fields)
        finally:
            connection.close()

    presses = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join(30)

    assert [a.status_code for a in answers] == [302, 302]
    assert {a["Location"] for a in answers} == {"https://checkout.stripe.com/c/pay/cs_test_1"}
    assert fake_stripe.sessions == ["cs_test_1"]
    (subject,) = Contribution.objects.all()
    assert (subject.status, subject.amount_minor, subject.checkout_ref) == ("pending", 2500,
                                                                            "cs_test_1")
    assert fake_stripe.keys() == {f"samizdat-checkout-{subject.reference}"}
