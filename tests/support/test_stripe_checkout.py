"""Stripe Checkout Sessions (which localstripe lacks): the request we send, recorded on loopback,
and the webhooks Stripe documents, signed with the endpoint secret and verified by the SDK."""

import json
import time

import pytest

from samizdat.support.models import Contribution, LedgerEntry, Pledge, ProviderEvent

from .conftest import STRIPE_WEBHOOK_SECRET, stripe_signature

pytestmark = pytest.mark.django_db

URL = "/support/webhooks/stripe/"


@pytest.fixture
def stripe_at(settings):
    def configure(api_base):
        settings.SAMIZDAT_PAYMENT_PROVIDERS = {
            "stripe": {
                "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
                "OPTIONS": {"SECRET_KEY": "sk_test_samizdat", "API_BASE": api_base,
                            "WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET},
            },
        }
    return configure


@pytest.fixture
def stripe_recorder(recorder, stripe_at):
    recorder.responses[("POST", "/v1/checkout/sessions")] = (200, {
        "id": "cs_test_123", "object": "checkout.session",
        "url": "https://checkout.stripe.com/c/pay/cs_test_123",
    })
    stripe_at(recorder.url)
    return recorder


def _start(client, **data):
    base = {"frequency": "once", "currency": "EUR", "amount": "25", "email": "",
            "method": "stripe", "website": "", "appeal": "winter", "variant": "b"}
    base.update(data)
    return client.post("/support/", base, HTTP_HOST="news.example.org")


def test_one_off_gift_opens_a_hosted_checkout_session_with_price_data(client, stripe_recorder):
    response = _start(client)
    contribution = Contribution.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_123"
    assert contribution.checkout_ref == "cs_test_123" and contribution.status == "pending"
    (request,) = stripe_recorder.requests
    form = request["form"]
    assert request["path"] == "/v1/checkout/sessions"
    assert request["headers"]["Authorization"] == "Bearer sk_test_samizdat"
    assert form["mode"] == "payment" and form["submit_type"] == "donate"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][unit_amount]"] == "2500"
    assert form["line_items[0][price_data][product_data][name]"] == "One-off contribution"
    assert form["client_reference_id"] == contribution.reference
    assert form["metadata[samizdat_reference]"] == contribution.reference
    assert form["payment_intent_data[metadata][samizdat_reference]"] == contribution.reference
    assert form["success_url"] == f"http://news.example.org/support/thanks/{contribution.reference}/"
    assert form["cancel_url"] == f"http://news.example.org/support/cancel/{contribution.reference}/"
    assert "customer_email" not in form


def test_monthly_plan_opens_a_subscription_checkout(client, stripe_recorder):
    _start(client, frequency="monthly", amount="5", email="r@example.org", currency="GBP")
    pledge = Pledge.objects.get()
    form = stripe_recorder.requests[0]["form"]
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    assert form["line_items[0][price_data][unit_amount]"] == "500"
    assert form["subscription_data[metadata][samizdat_reference]"] == pledge.reference
    assert form["customer_email"] == "r@example.org"


def test_russian_reader_gets_a_russian_checkout(client, stripe_recorder):
    client.post("/ru/support/", {"frequency": "annual", "currency": "EUR", "amount": "50",
                                 "email": "r@example.org", "method": "stripe", "website": ""})
    form = stripe_recorder.requests[0]["form"]
    assert form["locale"] == "ru"
    assert form["line_items[0][price_data][recurring][interval]"] == "year"
    assert "/ru/support/thanks/" in form["success_url"]


def test_stripe_refusal_tells_the_reader_and_keeps_the_gift_pending(client, stripe_recorder):
    stripe_recorder.responses[("POST", "/v1/checkout/sessions")] = (
        400, {"error": {"type": "invalid_request_error", "message": "No such thing"}})
    response = _start(client)
    assert response.status_code == 503
    assert "Nothing was charged" in response.content.decode()
    # Kept for a retry of the same form (tests/support/test_checkout_faults.py); no money moved.
    contribution = Contribution.objects.get()
    assert (contribution.status, contribution.checkout_ref) == ("pending", "")
    assert not LedgerEntry.objects.exists()
    (request,) = stripe_recorder.requests
    assert request["headers"]["Idempotency-Key"] == f"samizdat-checkout-{contribution.reference}"


def test_invalid_form_makes_no_stripe_request(client, stripe_recorder):
    response = _start(client, amount="other", other_amount="1.999")
    assert response.status_code == 400
    assert stripe_recorder.requests == [] and not Contribution.objects.exists()


# Webhooks shaped like Stripe's documented events ----------------------------------

def _event(event_type, obj, created=None, event_id=None):
    return {
        "id": event_id or f"evt_{event_type.replace('.', '_')}_{obj.get('id')}",
        "object": "event", "api_version": "2026-10-28.endive",
        "created": created or int(time.time()), "livemode": False, "pending_webhooks": 1,
        "type": event_type, "data": {"object": obj},
    }


def _deliver(client, event, secret=STRIPE_WEBHOOK_SECRET):
    body = json.dumps(event).encode()
    return client.post(URL, body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=stripe_signature(body, secret))


def _session(subject, mode="payment", **extra):
    obj = {
        "id": "cs_test_123", "object": "checkout.session", "mode": mode,
        "client_reference_id": subject.reference,
        "metadata": {"samizdat_reference": subject.reference},
        "amount_total": subject.amount_minor, "currency": subject.currency.lower(),
        "customer": "cus_1", "customer_details": {"email": "payer@example.org"},
        "payment_status": "paid", "status": "complete",
        "payment_intent": "pi_1" if mode == "payment" else None,
        "subscription": "sub_1" if mode == "subscription" else None,
    }
    obj.update(extra)
    return obj


def _invoice(invoice_id, amount=500, reference=""):
    return {
        "id": invoice_id, "object": "invoice", "customer": "cus_1", "currency": "usd",
        "amount_paid": amount, "amount_due": amount, "status": "paid",
        "parent": {"type": "subscription_details", "subscription_details": {
            "subscription": "sub_1", "metadata": {"samizdat_reference": reference}}},
    }


def test_checkout_completed_pays_the_gift_and_keeps_the_payers_email(client, stripe_at,
                                                                      make_contribution):
    stripe_at("http://127.0.0.1:9")
    contribution = make_contribution(provider="stripe")
    assert _deliver(client, _event("checkout.session.completed", _session(contribution))
                    ).status_code == 200
    contribution.refresh_from_db()
    assert contribution.status == "paid" and contribution.payment_ref == "pi_1"
    assert contribution.email == "payer@example.org"
    assert list(LedgerEntry.objects.values_list("kind", "amount_minor")) == [("payment", 2500)]


def test_partial_refund_then_dispute_are_ledgered(client, stripe_at, make_contribution):
    stripe_at("http://127.0.0.1:9")
    contribution = make_contribution(provider="stripe")
    _deliver(client, _event("checkout.session.completed", _session(contribution)))
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "currency": "usd",
              "amount": 2500, "amount_refunded": 1000, "customer": "cus_1",
              "refunds": {"object": "list", "data": [{"id": "re_1", "amount": 1000}]}}
    _deliver(client, _event("charge.refunded", charge))
    contribution.refresh_from_db()
    assert contribution.status == "paid"
    dispute = {"id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1",
               "amount": 1500, "currency": "usd", "status": "needs_response"}
    _deliver(client, _event("charge.dispute.created", dispute))
    contribution.refresh_from_db()
    assert contribution.status == "disputed"
    assert sorted(LedgerEntry.objects.values_list("kind", "amount_minor")) == [
        ("dispute", -1500), ("payment", 2500), ("refund", -1000)]


def test_subscription_lifecycle_from_documented_events(client, stripe_at, make_pledge):
    stripe_at("http://127.0.0.1:9")
    pledge = make_pledge(provider="stripe")
    t0 = int(time.time()) - 90 * 86400
    _deliver(client, _event("checkout.session.completed",
                            _session(pledge, mode="subscription"), created=t0))
    _deliver(client, _event("invoice.paid", _invoice("in_1", reference=pledge.reference),
                            created=t0 + 1))
    pledge.refresh_from_db()
    assert pledge.status == "active" and pledge.subscription_ref == "sub_1"
    _deliver(client, _event("invoice.payment_failed", _invoice("in_2"), created=t0 + 30 * 86400))
    pledge.refresh_from_db()
    assert pledge.status == "past_due"
    _deliver(client, _event("invoice.paid", _invoice("in_2"), created=t0 + 31 * 86400))
    pledge.refresh_from_db()
    assert pledge.status == "active"
    subscription = {"id": "sub_1", "object": "subscription", "status": "active",
                    "customer": "cus_1", "metadata": {"samizdat_reference": pledge.reference},
                    "items": {"data": [{"id": "si_1", "price": {
                        "unit_amount": 1000, "currency": "usd",
                        "recurring": {"interval": "year"}}}]}}
    _deliver(client, _event("customer.subscription.updated", subscription,
                            created=t0 + 40 * 86400))
    pledge.refresh_from_db()
    assert (pledge.amount_minor, pledge.frequency) == (1000, "annual")
    _deliver(client, _event("customer.subscription.deleted",
                            {**subscription, "status": "canceled"}, created=t0 + 60 * 86400))
    pledge.refresh_from_db()
    assert pledge.status == "canceled"
    assert LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == 2


def test_webhook_signed_with_another_secret_is_refused(client, stripe_at, make_contribution):
    stripe_at("http://127.0.0.1:9")
    contribution = make_contribution(provider="stripe")
    response = _deliver(client, _event("checkout.session.completed", _session(contribution)),
                        secret="whsec_wrong")
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
    contribution.refresh_from_db()
    assert contribution.status == "pending"


def test_malformed_json_and_unknown_types_change_nothing(client, stripe_at):
    stripe_at("http://127.0.0.1:9")
    body = b'{"id": "evt_1", "type": '
    response = client.post(URL, body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=stripe_signature(body))
    assert response.status_code == 400
    assert _deliver(client, _event("customer.created", {"id": "cus_9"})).status_code == 200
    assert not ProviderEvent.objects.exists()


# The API version the code is written for ---------------------------------------------

def _renewal_invoice(reference):
    """An invoice.paid object as API 2026-10-28.endive sends it: no payment_intent, no
    charge, no payments (an includable list)."""
    invoice = _invoice("in_renew", amount=500, reference=reference)
    invoice.update(billing_reason="subscription_cycle", total=500, amount_remaining=0)
    return invoice


def test_a_renewal_keeps_its_payment_intent_from_the_invoice_payments(
        client, stripe_recorder, make_pledge):
    from samizdat.support.providers.stripe import API_VERSION

    stripe_recorder.responses[("GET", "/v1/invoice_payments")] = (200, {
        "object": "list", "has_more": False, "url": "/v1/invoice_payments", "data": [{
            "id": "inpay_1", "object": "invoice_payment", "amount_paid": 500,
            "amount_requested": 500, "currency": "usd", "invoice": "in_renew",
            "is_default": True, "livemode": False, "status": "paid",
            "payment": {"type": "payment_intent", "payment_intent": "pi_renew"},
            "status_transitions": {"canceled_at": None, "paid_at": 1764800000}}]})
    pledge = make_pledge(provider="stripe", subscription_ref="sub_1", status="active")
    assert _deliver(client, _event("invoice.paid", _renewal_invoice(pledge.reference))
                    ).status_code == 200
    (request,) = stripe_recorder.requests
    assert request["path"].startswith("/v1/invoice_payments?")
    assert "invoice=in_renew" in request["path"] and "status=paid" in request["path"]
    assert request["headers"]["Stripe-Version"] == API_VERSION
    entry = LedgerEntry.objects.get(pledge=pledge)
    assert (entry.kind, entry.amount_minor, entry.source_ref) == ("payment", 500, "pi_renew")

    # A refund of that renewal (its charge carries none of our metadata) finds the plan.
    charge = {"id": "ch_renew", "object": "charge", "payment_intent": "pi_renew",
              "currency": "usd", "amount": 500, "amount_refunded": 500, "customer": "cus_1",
              "metadata": {}}
    assert _deliver(client, _event("charge.refunded", charge)).status_code == 200
    refund = LedgerEntry.objects.get(kind="refund")
    assert (refund.pledge_id, refund.amount_minor) == (pledge.pk, -500)


def test_payments_embedded_in_the_invoice_need_no_lookup(client, stripe_recorder,
                                                           make_pledge):
    pledge = make_pledge(provider="stripe", subscription_ref="sub_1", status="active")
    invoice = _renewal_invoice(pledge.reference)
    invoice["payments"] = {"object": "list", "data": [
        {"id": "inpay_0", "object": "invoice_payment", "status": "canceled",
         "payment": {"type": "payment_intent", "payment_intent": "pi_failed"}},
        {"id": "inpay_1", "object": "invoice_payment", "status": "paid",
         "payment": {"type": "charge", "charge": "ch_paid"}}]}
    _deliver(client, _event("invoice.paid", invoice))
    assert stripe_recorder.requests == []
    assert LedgerEntry.objects.get(pledge=pledge).source_ref == "ch_paid"


def test_a_plan_change_is_sent_without_proration(stripe_recorder, make_pledge):
    from samizdat.support.providers.base import get_provider

    stripe_recorder.responses[("GET", "/v1/subscriptions/sub_1")] = (200, {
        "id": "sub_1", "object": "subscription", "status": "active",
        "items": {"object": "list", "data": [{"id": "si_1", "object": "subscription_item",
                                              "plan": {"id": "plan_old", "product": "prod_1"}}]}})
    stripe_recorder.responses[("POST", "/v1/plans")] = (200, {"id": "plan_new",
                                                             "object": "plan"})
    stripe_recorder.responses[("POST", "/v1/subscriptions/sub_1")] = (200, {
        "id": "sub_1", "object": "subscription"})
    pledge = make_pledge(provider="stripe", subscription_ref="sub_1", status="active")
    get_provider("stripe").change_recurring(pledge, amount_minor=300, frequency="annual")
    update = stripe_recorder.requests[-1]
    assert update["path"] == "/v1/subscriptions/sub_1"
    assert update["form"]["proration_behavior"] == "none"
    assert update["form"]["items[0][plan]"] == "plan_new"
    plan = stripe_recorder.requests[1]["form"]
    assert (plan["amount"], plan["interval"]) == ("300", "year")
