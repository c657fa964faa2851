"""No Supporter before a verified payment (issue: hardening, item 7).

Anyone can type anyone's address into the contribution form. Before, that made
a Supporter row at once, and a Supporter is what earns an address e-mail. Now
the address waits, encrypted, on the pending gift or plan; the provider's
verified event that records the money makes it a supporter's, and the receipt
goes there.
"""

import importlib

import pytest
from django.db import connection

from samizdat.support.crypto import blind_index
from samizdat.support.models import Contribution, Pledge, Supporter
from samizdat.support.tasks import send_manage_link

pytestmark = pytest.mark.django_db


def _start(client, email, frequency="once", method="demo"):
    response = client.post("/support/", {"frequency": frequency, "currency": "USD",
                                         "amount": "25", "email": email, "method": method,
                                         "website": ""})
    assert response.status_code == 302
    return response["Location"]


def _raw_columns(model):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT checkout_email_ciphertext, checkout_email_index, supporter_id "
                       f"FROM {model._meta.db_table}")
        return cursor.fetchall()


def test_starting_a_checkout_creates_no_supporter(client):
    _start(client, "victim@example.org")
    assert Supporter.objects.count() == 0
    [(ciphertext, index, supporter_id)] = _raw_columns(Contribution)
    assert supporter_id is None
    assert "victim" not in ciphertext and ciphertext  # encrypted, not in plain text
    assert index == blind_index("victim@example.org")
    assert Contribution.objects.get().email == "victim@example.org"
    # The address never paid: no manage link, whoever asks.
    assert send_manage_link.call(blind_index("victim@example.org"), "en") is False


@pytest.mark.parametrize("frequency", ["once", "monthly"])
def test_the_verified_payment_makes_the_address_a_supporter_and_the_receipt_goes_there(
        client, smtp_inbox, frequency, django_capture_on_commit_callbacks):
    checkout = _start(client, "Reader@Example.org", frequency=frequency)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(checkout, {"action": "pay"})
    subject = (Contribution if frequency == "once" else Pledge).objects.get()
    supporter = Supporter.objects.get()
    assert subject.supporter == supporter and supporter.email == "Reader@Example.org"
    assert subject.checkout_email == "" and subject.checkout_email_index == ""
    delivered = smtp_inbox.wait_for(1)
    assert "Reader@Example.org" in [str(m["To"]) for m in delivered]
    assert send_manage_link.call(blind_index("reader@example.org"), "en") is True


@pytest.mark.parametrize("action", ["decline", "abandon"])
def test_a_declined_or_abandoned_checkout_leaves_no_supporter(client, action):
    checkout = _start(client, "someone@example.org")
    client.post(checkout, {"action": action})
    assert Contribution.objects.get().status in {"failed", "canceled"}
    assert Supporter.objects.count() == 0


def test_a_bank_transfer_makes_a_supporter_only_when_staff_see_the_money(client):
    from samizdat.support.actions.transfers import mark_transfer_received
    from samizdat.support.checkout import contribution_settings

    options = contribution_settings()  # bank transfer is offered once details are published
    options.bank_iban = "DE89 3704 0044 0532 0130 00"
    options.save()
    _start(client, "transfer@example.org", method="bank_transfer")
    assert Supporter.objects.count() == 0
    gift = Contribution.objects.get()
    mark_transfer_received(gift)
    gift.refresh_from_db()
    assert gift.status == "paid"
    assert gift.supporter.email == "transfer@example.org"


def test_a_second_gift_from_a_supporter_joins_the_same_row(client):
    for _ in range(2):
        client.post(_start(client, "again@example.org"), {"action": "pay"})
    assert Supporter.objects.count() == 1
    assert set(Contribution.objects.values_list("supporter", flat=True)) == {
        Supporter.objects.get().pk}


def test_erasing_an_address_blanks_it_on_checkouts_never_paid(client):
    from samizdat.support.retention import forget_address

    _start(client, "gone@example.org")
    _start(client, "kept@example.org")
    forget_address(blind_index("gone@example.org"))
    assert sorted(str(c.email) for c in Contribution.objects.all()) == ["", "kept@example.org"]


def test_the_supporters_own_export_lists_their_unpaid_checkouts(client):
    from samizdat.support.donordata import export

    client.post(_start(client, "mine@example.org"), {"action": "pay"})
    _start(client, "mine@example.org", frequency="monthly")
    data = export(blind_index("mine@example.org"))
    assert len(data["gifts"]) == 1 and len(data["plans"]) == 1


def test_the_migration_moves_unpaid_addresses_off_supporter_rows(client):
    """Rows from before: the unpaid checkout's Supporter link becomes its own address."""
    migration = importlib.import_module(
        "samizdat.support.migrations.0008_checkout_email_until_paid")
    client.post(_start(client, "paid@example.org"), {"action": "pay"})
    paid = Contribution.objects.get()
    victim = Supporter.objects.create(email="victim@example.org")
    unpaid = Contribution.objects.create(provider="demo", amount_minor=100, currency="USD",
                                         supporter=victim)
    plan = Pledge.objects.create(provider="demo", amount_minor=100, currency="USD",
                                 frequency="monthly", supporter=victim)
    with connection.cursor() as cursor:
        for statement in migration.DETACH_UNPAID:
            cursor.execute(statement)
    for row in (paid, unpaid, plan):
        row.refresh_from_db()
    assert paid.supporter.email == "paid@example.org"
    assert unpaid.supporter is None and unpaid.email == "victim@example.org"
    assert plan.supporter is None and plan.checkout_email_index == blind_index(
        "victim@example.org")
