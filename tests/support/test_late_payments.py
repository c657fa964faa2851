"""Money that comes late is not lost (issue: reliability, item 3).

Retention used to delete every pending gift with no event after `pending_days`
(7): a bank transfer paid in week two then had no gift to land on, and staff got
404 for its reference. Delayed methods now keep their pending gifts for
SAMIZDAT_DELAYED_PENDING_DAYS (60); an event for a gift the site does not have
is shown to staff instead of waiting silently.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from samizdat.support.actions.transfers import mark_transfer_received
from samizdat.support.models import Contribution, ProviderEvent

from .test_stripe_checkout import _deliver, _event, _session

pytestmark = pytest.mark.django_db


def _pending(provider, days_old, amount_minor=2500):
    gift = Contribution.objects.create(provider=provider, amount_minor=amount_minor,
                                       currency="EUR", status="pending")
    Contribution.objects.filter(pk=gift.pk).update(
        created_at=timezone.now() - timedelta(days=days_old))
    return gift


def test_a_bank_transfer_paid_in_week_three_still_finds_its_gift(stripe_events, settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS["bank_transfer"] = {
        "BACKEND": "samizdat.support.providers.bank_transfer.BankTransferProvider"}
    transfer = _pending("bank_transfer", days_old=20)
    abandoned_card = _pending("stripe", days_old=20)
    call_command("apply_retention", verbosity=0)
    assert not Contribution.objects.filter(pk=abandoned_card.pk).exists()
    assert Contribution.objects.filter(pk=transfer.pk).exists()
    mark_transfer_received(transfer)  # staff saw the money arrive
    transfer.refresh_from_db()
    assert transfer.status == "paid"


def test_after_the_long_limit_an_unpaid_transfer_goes_too(settings):
    settings.SAMIZDAT_DELAYED_PENDING_DAYS = 60
    recent, old = _pending("bank_transfer", days_old=59), _pending("bank_transfer", days_old=61)
    call_command("apply_retention", verbosity=0)
    assert list(Contribution.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Contribution.objects.filter(pk=old.pk).exists()


def test_a_payment_for_an_unknown_gift_is_shown_to_staff(client, staff_client, stripe_events):
    ghost = SimpleNamespace(reference="ZZZZ-ZZZZ-ZZZZ", amount_minor=2500, currency="EUR")
    assert _deliver(client, _event("checkout.session.completed",
                                   _session(ghost))).status_code == 200
    event = ProviderEvent.objects.get()
    assert event.outcome == "waiting"
    dashboard = staff_client.get(reverse("fundraising:index")).content.decode()
    assert 'data-figure="unknown-payments"' not in dashboard  # a reordered delivery, maybe
    ProviderEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(hours=2))
    dashboard = staff_client.get(reverse("fundraising:index")).content.decode()
    assert 'data-figure="unknown-payments"' in dashboard
    assert "1 payment event names a gift or plan this site does not have" in dashboard


def test_a_sepa_debit_confirmed_in_week_two_finds_its_gift(client, stripe_events):
    """Stripe's delayed methods (SEPA Direct Debit, Bacs, Sofort…): the checkout completes
    unpaid and `async_payment_succeeded` follows days later. The completion links the
    gift, which then has a provider event, so retention keeps it until Stripe says."""
    gift = _pending("stripe", days_old=0)
    unpaid = _session(gift, payment_status="unpaid")
    assert _deliver(client, _event("checkout.session.completed", unpaid)).status_code == 200
    gift.refresh_from_db()
    assert gift.status == "pending" and gift.payment_ref == "pi_1"
    Contribution.objects.filter(pk=gift.pk).update(
        created_at=timezone.now() - timedelta(days=12))
    call_command("apply_retention", verbosity=0)
    assert Contribution.objects.filter(pk=gift.pk).exists()
    paid = _event("checkout.session.async_payment_succeeded", _session(gift))
    assert _deliver(client, paid).status_code == 200
    gift.refresh_from_db()
    assert gift.status == "paid"
    assert gift.ledger_entries.get().amount_minor == 2500
    assert not ProviderEvent.objects.filter(outcome="waiting").exists()


def test_a_sepa_debit_that_fails_ends_the_gift(client, stripe_events):
    gift = _pending("stripe", days_old=0)
    _deliver(client, _event("checkout.session.completed",
                            _session(gift, payment_status="unpaid")))
    failed = _event("checkout.session.async_payment_failed",
                    _session(gift, payment_status="unpaid"))
    assert _deliver(client, failed).status_code == 200
    gift.refresh_from_db()
    assert gift.status == "failed" and not gift.ledger_entries.exists()


def test_a_checkout_stuck_in_processing_keeps_its_row_but_not_its_address(settings):
    settings.SAMIZDAT_DELAYED_PENDING_DAYS = 60
    stuck, recent = _pending("stripe", days_old=61), _pending("stripe", days_old=30)
    for gift in (stuck, recent):
        gift.checkout_email = "payer@example.org"
        gift.save(update_fields=["checkout_email"])
        ProviderEvent.objects.create(provider="stripe", event_id=f"evt_processing_{gift.pk}",
                                     type="checkout.session.completed", payload={},
                                     occurred_at=timezone.now(), contribution=gift)
    call_command("apply_retention", verbosity=0)
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.status, stuck.checkout_email, stuck.checkout_email_index) == ("pending", "", "")
    assert recent.checkout_email == "payer@example.org"
