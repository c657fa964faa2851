"""Money keeps moving when the donor keys are lost: addresses unreadable, amounts intact."""

import io
import json
import logging
import time

import pytest
from django.core import mail
from django.core.management import call_command

from samizdat.support.crypto import generate_key
from samizdat.support.models import LedgerEntry, ProviderEvent, Supporter

from .test_stripe_checkout import _deliver, _event, _invoice, _session

pytestmark = pytest.mark.django_db


def test_renewal_of_an_existing_donor_after_a_restore_without_their_key(
        client, settings, stripe_events, make_pledge, caplog,
        django_capture_on_commit_callbacks):
    old_keys = list(settings.SAMIZDAT_DONOR_KEYS)
    pledge = make_pledge(provider="stripe", amount_minor=500, email="donor@example.org")
    t0 = int(time.time()) - 40 * 86400
    _deliver(client, _event("checkout.session.completed",
                            _session(pledge, mode="subscription"), created=t0))
    _deliver(client, _event("invoice.paid", _invoice("in_1", 500, pledge.reference),
                            created=t0 + 1))
    settings.SAMIZDAT_DONOR_KEYS = [generate_key()]  # the old key was not restored
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = _deliver(client, _event("invoice.paid", _invoice("in_2"),
                                           created=t0 + 30 * 86400))
    assert response.status_code == 200
    assert sorted(LedgerEntry.objects.values_list("provider_ref", "amount_minor")) == [
        ("in_1", 500), ("in_2", 500)]
    assert mail.outbox == []
    assert "not sent: the donor's address cannot be read" in caplog.text
    assert "SAMIZDAT_DONOR_KEYS" in caplog.text
    out, err = io.StringIO(), io.StringIO()
    call_command("check_ledger", stdout=out, stderr=err)  # no crash, no mismatch
    assert "Ledger consistent." in out.getvalue()
    assert "1 donor address(es) cannot be read" in err.getvalue()
    assert "SAMIZDAT_DONOR_KEYS" in err.getvalue()
    # Nothing was overwritten: with the old key back, the address reads again.
    settings.SAMIZDAT_DONOR_KEYS = [generate_key(), *old_keys]
    assert Supporter.objects.get(pk=pledge.supporter_id).email == "donor@example.org"


def test_without_any_donor_key_a_payment_is_recorded_and_the_address_is_not_kept(
        client, settings, stripe_events, make_contribution, caplog):
    gift = make_contribution(provider="stripe", amount_minor=2500)
    settings.SAMIZDAT_DONOR_KEYS = []
    with caplog.at_level(logging.ERROR):
        response = _deliver(client, _event("checkout.session.completed", _session(gift)))
    assert response.status_code == 200
    gift.refresh_from_db()
    assert gift.status == "paid" and gift.supporter_id is None
    assert "payer@example.org" not in json.dumps(ProviderEvent.objects.get().payload)
    assert "SAMIZDAT_DONOR_KEYS is not set" in caplog.text


@pytest.mark.parametrize("lost", ["SAMIZDAT_DONOR_KEYS", "SAMIZDAT_DONOR_INDEX_KEY"])
def test_a_checkout_address_no_key_reads_does_not_stop_its_payment(
        client, settings, stripe_events, make_contribution, caplog, lost):
    """The address typed at checkout waits on the gift until the payment (CheckoutEmail);
    a restore without one of the keys still records that payment, and keeps the token."""
    from samizdat.support.models import Contribution

    old_keys = list(settings.SAMIZDAT_DONOR_KEYS)
    gift = make_contribution(provider="stripe", amount_minor=2500,
                             checkout_email="typed@example.org")
    if lost == "SAMIZDAT_DONOR_KEYS":
        settings.SAMIZDAT_DONOR_KEYS = [generate_key()]  # the old key was not restored
    else:
        settings.SAMIZDAT_DONOR_INDEX_KEY = ""
    with caplog.at_level(logging.ERROR):
        response = _deliver(client, _event("checkout.session.completed", _session(gift)))
    assert response.status_code == 200
    gift = Contribution.objects.get(pk=gift.pk)
    assert gift.status == "paid"
    assert lost in caplog.text
    if lost == "SAMIZDAT_DONOR_KEYS":
        # The typed address is unreadable: the payer's address Stripe reported is used.
        assert gift.supporter.email == "payer@example.org"
    else:
        # No index key, no supporter can be found or made: the typed address waits.
        assert gift.supporter_id is None
        settings.SAMIZDAT_DONOR_KEYS = old_keys
        assert Contribution.objects.get(pk=gift.pk).checkout_email == "typed@example.org"
