"""manage.py reconcile_provider: the ledger compared with each provider's own records.

Stripe's records are read over HTTP from localstripe with the official SDK, page by page;
the demo provider and bank transfers are compared with the events they produced.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from samizdat.support.actions.transfers import mark_transfer_received
from samizdat.support.models import LedgerEntry, ProviderEvent, ReconciliationRun

from .conftest import STRIPE_WEBHOOK_SECRET
from .test_stripe_checkout import _deliver as _deliver_stripe
from .test_stripe_checkout import _event, _session
from .test_webhooks import _deliver as _deliver_demo
from .test_webhooks import _paid_event

pytestmark = pytest.mark.django_db


def _reconcile(*args):
    out = io.StringIO()
    try:
        call_command("reconcile_provider", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_demo_and_bank_transfer_that_agree_with_the_ledger_reconcile_clean(
        client, demo, make_contribution, settings):
    assert ("reconcile_provider", 86400) in settings.SAMIZDAT_PERIODIC_JOBS  # daily
    gift = make_contribution()
    _deliver_demo(client, demo, _paid_event(demo, gift))
    demo.refund(gift, amount_minor=500)
    mark_transfer_received(make_contribution(provider="bank_transfer"))
    out, error = _reconcile()
    assert error is None, out
    assert "demo: 2 movement(s)" in out and "bank_transfer: 1 movement(s)" in out
    assert sorted(ReconciliationRun.objects.values_list("provider", "differences")) == [
        ("bank_transfer", 0), ("demo", 0)]


def test_money_the_ledger_lacks_or_invents_is_reported_and_exits_non_zero(
        client, demo, make_contribution, staff_client):
    gift = make_contribution()
    # A payment for a gift that no longer exists: it waits, and no ledger row has it.
    orphan = _paid_event(demo, gift, payment_id="demo_pay_orphan")
    orphan["data"]["reference"] = "GONE-GONE-GONE"
    _deliver_demo(client, demo, orphan)
    _deliver_demo(client, demo, _paid_event(demo, gift))
    event = ProviderEvent.objects.get(event_id__isnull=False, outcome="applied")
    LedgerEntry.objects.create(kind="payment", amount_minor=900, currency="USD",
                               contribution=gift, event=event, provider="demo",
                               provider_ref="demo_pay_forged", occurred_at=event.occurred_at)
    out, error = _reconcile("--provider", "demo")
    assert error is not None and "2 difference(s)" in str(error)
    assert "missing in ledger: payment demo_pay_orphan" in out
    assert "extra in ledger: payment demo_pay_forged" in out
    run = ReconciliationRun.objects.get()
    assert run.differences == 2 and "demo_pay_orphan" in run.report
    dashboard = staff_client.get(reverse("fundraising:index")).content.decode()
    assert "2 differences between the ledger and the provider" in dashboard
    assert "demo_pay_forged" in dashboard


@pytest.mark.parametrize("args, message", [
    (["--since", "2026-13-01"], "is not a date: give it as YYYY-MM-DD"),
    (["--since", "yesterday"], "is not a date"),
    (["--since", "2999-01-01"], "is in the future"),
    (["--provider", "paypal"], "Unknown provider 'paypal'; configured: demo, bank_transfer"),
])
def test_bad_arguments_are_refused_plainly_and_change_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("reconcile_provider", *args)
    assert not ReconciliationRun.objects.exists()


@pytest.fixture
def stripe_api(settings, stripe_client, localstripe):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "stripe": {
            "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
            "OPTIONS": {"SECRET_KEY": "sk_test_samizdat", "API_BASE": localstripe,
                        "WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
                        "RECONCILE_PAGE_SIZE": 2},  # so that listing takes several pages
        },
    }
    return stripe_client


def _charge(client, amount, currency="usd"):
    intent = client.v1.payment_intents.create(params={
        "amount": amount, "currency": currency, "payment_method": "pm_card_visa",
        "payment_method_types": ["card"]})
    return client.v1.payment_intents.confirm(intent.id).latest_charge.to_dict()


def _paid_in_ledger(client, make_contribution, charge, amount=None):
    gift = make_contribution(provider="stripe", amount_minor=charge["amount"],
                             currency=charge["currency"].upper())
    session = _session(gift, id=f"cs_{charge['id']}", payment_intent=charge["payment_intent"],
                       amount_total=amount or charge["amount"])
    assert _deliver_stripe(client, _event("checkout.session.completed", session)
                           ).status_code == 200
    return gift


def test_stripe_charges_refunds_and_ledger_are_compared_one_by_one(
        client, stripe_api, make_contribution):
    first, second, third = (_charge(stripe_api, 2500), _charge(stripe_api, 1000),
                            _charge(stripe_api, 700, "eur"))
    stripe_api.v1.refunds.create(params={"charge": first["id"], "amount": 300})
    _paid_in_ledger(client, make_contribution, first)  # its refund never reached us
    _paid_in_ledger(client, make_contribution, second, amount=900)
    ghost = make_contribution(provider="stripe", amount_minor=4000)
    _deliver_stripe(client, _event("checkout.session.completed",
                                   _session(ghost, id="cs_ghost", payment_intent="pi_ghost")))
    out, error = _reconcile("--provider", "stripe")
    assert error is not None and "4 difference(s)" in str(error)
    assert f"missing in ledger: refunds of charge {first['id']}" in out
    assert f"amount differs: charge {second['id']}: provider $10.00, ledger $9.00" in out
    assert f"missing in ledger: charge {third['id']}: €7.00" in out
    assert "extra in ledger: payment pi_ghost" in out
    assert "note: disputes: this API does not list them" in out
    assert "stripe: 4 movement(s)" in out  # three charges over two pages, one refund list


def test_stripe_ledger_that_matches_reconciles_clean(client, stripe_api, make_contribution):
    charge = _charge(stripe_api, 1000)
    stripe_api.v1.refunds.create(params={"charge": charge["id"], "amount": 300})
    stripe_api.v1.refunds.create(params={"charge": charge["id"], "amount": 200})
    _paid_in_ledger(client, make_contribution, charge)
    refunded = {"id": charge["id"], "object": "charge", "currency": "usd", "amount": 1000,
                "payment_intent": charge["payment_intent"], "amount_refunded": 500}
    _deliver_stripe(client, _event("charge.refunded", refunded))
    out, error = _reconcile("--provider", "stripe")
    assert error is None, out
    assert ReconciliationRun.objects.get().ok
