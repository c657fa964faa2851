"""The Stripe provider with the official SDK over HTTP against localstripe.

Subscriptions, invoices, cancel, change and refunds are real calls; the
webhooks localstripe sends (signed) reach a test server and go through the same
verification and ledger code as Stripe's.
"""

import json
import urllib.parse
import urllib.request

import pytest

from samizdat.support.models import LedgerEntry, Pledge, ProviderEvent

from .conftest import STRIPE_WEBHOOK_SECRET, retrying, stripe_signature, wait_for

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_fundraising_group_hook")]


@pytest.fixture
def stripe_provider(settings, localstripe, webhook_server, stripe_client):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "stripe": {
            "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
            "OPTIONS": {"SECRET_KEY": "sk_test_samizdat", "API_BASE": localstripe,
                        "WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET},
        },
    }
    data = urllib.parse.urlencode({
        "url": f"{webhook_server.url}/support/webhooks/stripe/", "secret": STRIPE_WEBHOOK_SECRET,
    }).encode()
    urllib.request.urlopen(f"{localstripe}/_config/webhooks/samizdat", data=data)
    from samizdat.support.providers.base import get_provider

    yield get_provider("stripe")
    # Deliveries still on their way go nowhere rather than into the next test.
    data = urllib.parse.urlencode({"url": "http://127.0.0.1:9/", "secret": "x"}).encode()
    urllib.request.urlopen(f"{localstripe}/_config/webhooks/samizdat", data=data)


def _subscribe(client, pledge, card="pm_card_visa"):
    """What Stripe Checkout does for a subscription, done with the SDK against localstripe."""
    customer = client.v1.customers.create(params={"email": "r@example.org"})
    method = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={
        "invoice_settings": {"default_payment_method": method.id}})
    product = client.v1.products.create(params={"name": "Monthly contribution"})
    plan = client.v1.plans.create(params={"amount": pledge.amount_minor, "currency": "usd",
                                          "interval": "month", "product": product.id})
    return client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"plan": plan.id}],
        "metadata": {"samizdat_reference": pledge.reference},
    })


def _payments(pledge):
    return LedgerEntry.objects.filter(pledge=pledge, kind="payment").count()


def _status(pledge):
    return Pledge.objects.get(pk=pledge.pk).status


def test_subscription_and_renewal_arrive_as_signed_webhooks(stripe_provider, stripe_client,
                                                            make_pledge):
    pledge = retrying(lambda: make_pledge(provider="stripe"))
    subscription = _subscribe(stripe_client, pledge)
    assert wait_for(lambda: _status(pledge) == "active" and _payments(pledge) == 1)
    retrying(pledge.refresh_from_db)
    assert pledge.subscription_ref == subscription.id
    invoice = stripe_client.v1.invoices.create(params={
        "customer": subscription.customer, "subscription": subscription.id})
    stripe_client.v1.invoices.pay(invoice.id)
    assert wait_for(lambda: _payments(pledge) == 2)
    assert retrying(lambda: sum(LedgerEntry.objects.filter(pledge=pledge).values_list(
        "amount_minor", flat=True))) == 1000
    assert wait_for(lambda: ProviderEvent.objects.filter(provider="stripe").exclude(
        outcome__in=["applied", "ignored"]).count() == 0)


def test_cancel_through_the_provider_is_confirmed_by_stripes_event(stripe_provider,
                                                                  stripe_client, make_pledge):
    pledge = retrying(lambda: make_pledge(provider="stripe"))
    _subscribe(stripe_client, pledge)
    assert wait_for(lambda: _status(pledge) == "active")
    retrying(pledge.refresh_from_db)
    stripe_provider.cancel_recurring(pledge, reason="too expensive")
    assert stripe_client.v1.subscriptions.retrieve(pledge.subscription_ref).status == "canceled"
    assert wait_for(lambda: _status(pledge) == "canceled")


def test_change_amount_and_interval_updates_the_stripe_subscription(stripe_provider,
                                                                    stripe_client, make_pledge):
    pledge = retrying(lambda: make_pledge(provider="stripe"))
    _subscribe(stripe_client, pledge)
    # Once both events that write are in, later deliveries are ignored types only.
    assert wait_for(lambda: _status(pledge) == "active" and _payments(pledge) == 1)
    retrying(pledge.refresh_from_db)
    stripe_provider.change_recurring(pledge, amount_minor=1200, frequency="annual")
    subscription = stripe_client.v1.subscriptions.retrieve(pledge.subscription_ref)
    plan = subscription["items"]["data"][0]["plan"]
    assert (plan["amount"], plan["interval"]) == (1200, "year")
    # localstripe sends no customer.subscription.updated: deliver Stripe's event with the
    # object localstripe returned, signed like Stripe signs it.
    event = {"id": "evt_sub_updated_1", "object": "event", "type": "customer.subscription.updated",
             "created": int(subscription.created) + 5,
             "data": {"object": subscription.to_dict()}}
    body = json.dumps(event).encode()
    from django.test import Client

    response = Client().post("/support/webhooks/stripe/", body, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=stripe_signature(body))
    assert response.status_code == 200
    retrying(pledge.refresh_from_db)
    assert (pledge.amount_minor, pledge.frequency) == (1200, "annual")


def test_refund_of_a_real_charge_is_ledgered(stripe_provider, stripe_client, make_contribution):
    contribution = retrying(lambda: make_contribution(provider="stripe", amount_minor=2500))
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 2500, "currency": "usd", "payment_method_types": ["card"],
        "payment_method": "pm_card_visa",
        "metadata": {"samizdat_reference": contribution.reference}})
    intent = stripe_client.v1.payment_intents.confirm(intent.id)
    assert intent.status == "succeeded"
    session = {"id": "cs_1", "object": "checkout.session", "mode": "payment",
               "client_reference_id": contribution.reference, "payment_status": "paid",
               "amount_total": 2500, "currency": "usd", "payment_intent": intent.id}
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id,
                                                     "amount": 1000})
    charge = stripe_client.v1.charges.retrieve(refund.charge)
    charge_obj = charge.to_dict()
    charge_obj.setdefault("refunds", {"object": "list", "data": [
        {"id": refund.id, "amount": refund.amount}]})
    from django.test import Client

    client = Client()
    for number, (event_type, obj) in enumerate([("charge.refunded", charge_obj),
                                                ("checkout.session.completed", session)]):
        body = json.dumps({"id": f"evt_{number}", "object": "event", "type": event_type,
                           "created": 1_800_000_000 + number,
                           "data": {"object": obj}}).encode()
        assert client.post("/support/webhooks/stripe/", body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=stripe_signature(body)).status_code == 200
    retrying(contribution.refresh_from_db)
    assert contribution.status == "paid"
    assert retrying(lambda: sorted(LedgerEntry.objects.values_list("kind", "amount_minor"))) == [
        ("payment", 2500), ("refund", -1000)]
