"""Donor addresses at rest: encrypted, found by blind index, rotated without downtime."""

import logging
import re
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from samizdat.support.crypto import SEALED_PREFIX, blind_index
from samizdat.support.models import Contribution, ManageLink, Pledge, ProviderEvent, Supporter

pytestmark = pytest.mark.django_db

ADDRESS = "Secret.Reader@Example.org"


def database_text():
    """Every row of every table, as one lower-cased string (what a stolen dump shows)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.append(f"{table}: {cursor.fetchall()!r}")
    # Session data is signed and base64-encoded: read it decoded too.
    from django.contrib.sessions.models import Session

    chunks += [repr(session.get_decoded()) for session in Session.objects.all()]
    return "\n".join(chunks).lower()


def assert_no_address(*addresses):
    text = database_text()
    for address in addresses:
        assert address.lower() not in text
        assert address.split("@")[0].lower() not in text


def _start(client, **data):
    base = {"frequency": "once", "currency": "USD", "amount": "25", "email": "",
            "method": "demo", "website": ""}
    base.update(data)
    response = client.post("/support/", base)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def test_a_contribution_self_service_and_reminder_leave_no_address_in_the_database(
        client, settings, mailoutbox, caplog):
    """C18: read every table with SQL after the whole journey; the address is nowhere."""
    from samizdat.appeals.reminders import create_email_reminder
    from samizdat.support.tasks import send_manage_link

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    caplog.set_level(logging.DEBUG)
    checkout = _start(client, frequency="monthly", amount="5", email=f"  {ADDRESS} ")
    client.post(checkout, {"action": "pay"})
    pledge = Pledge.objects.get()
    assert pledge.status == "active" and pledge.email == ADDRESS
    # Self-service: the request queues a task (stored, with its arguments) ...
    assert client.post("/support/manage/", {"email": ADDRESS.upper()}).status_code == 302
    # ... which the worker runs: it finds the address through the blind index.
    assert send_manage_link.call(blind_index(ADDRESS), "en") is True
    assert mailoutbox[-1].to == [ADDRESS]
    link = re.search(r"/support/manage/link/\S+/", mailoutbox[-1].body).group(0)
    assert client.post(link).status_code == 302
    assert "secret.reader" in client.get("/support/manage/account/").content.decode().lower()
    create_email_reminder(ADDRESS, 7, "en")
    # A provider event carrying the payer's details, as Stripe's do.
    from samizdat.support.providers.base import ParsedEvent
    from samizdat.support.webhooks import record_event

    record, _created = record_event("demo", ParsedEvent(
        id="evt_with_details", type="checkout.completed", occurred_at=datetime.now(UTC),
        payload={"data": {"object": {"customer_details": {
            "email": ADDRESS, "name": "Secret Reader", "address": {"line1": "1 Hidden Lane"}}}}},
    ))
    assert SEALED_PREFIX in str(record.payload)

    assert ManageLink.objects.count() == 1
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.exists()  # receipts and the link request were queued
    assert_no_address(ADDRESS, "Secret Reader", "1 Hidden Lane")
    assert ADDRESS.lower() not in caplog.text.lower()
    from django.contrib.sessions.models import Session

    sessions = [session.get_decoded() for session in Session.objects.all()]
    assert any("support_manage" in data for data in sessions)  # signed in, by index only


def test_lookups_go_through_the_normalised_blind_index():
    supporter = Supporter.objects.create(email=" Mixed.Case@Example.org ")
    assert supporter.email == "Mixed.Case@Example.org"
    assert list(Supporter.objects.with_email("mixed.case@example.ORG")) == [supporter]
    assert not Supporter.objects.with_email("mixed.case@example.org.evil").exists()
    assert not Supporter.objects.with_email("").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT email_ciphertext, email_index FROM support_supporter")
        token, index = cursor.fetchone()
    assert token.startswith("gAAAAA") and "@" not in token
    assert index == blind_index("MIXED.CASE@example.org") and len(index) == 64
    with pytest.raises(Exception, match="blind index"):
        list(Supporter.objects.filter(email__iexact="mixed.case@example.org"))
    assert str(supporter) == f"supporter {supporter.pk}"


def test_webhook_supporter_is_found_by_address_not_created_twice(demo):
    existing = Supporter.objects.create(email="payer@example.org")
    contribution = Contribution.objects.create(provider="demo", amount_minor=500, currency="USD",
                                               checkout_email="PAYER@example.org ")
    demo.complete(contribution)  # the verified payment links the address to its supporter
    contribution.refresh_from_db()
    assert contribution.supporter_id == existing.pk
    assert Supporter.objects.count() == 1


def raw_tokens():
    with connection.cursor() as cursor:
        cursor.execute("SELECT email_ciphertext FROM support_supporter ORDER BY id")
        supporters = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT checkout_email_ciphertext FROM support_contribution "
                       "WHERE checkout_email_ciphertext <> '' ORDER BY id")
        supporters += [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT email_ciphertext FROM appeals_emailreminder ORDER BY id")
        return supporters + [row[0] for row in cursor.fetchall()]


def test_rotation_re_encrypts_everything_under_the_new_key(settings):
    """Encrypt under A; run with "B,A" and rotate; then B alone reads everything."""
    from samizdat.appeals.reminders import create_email_reminder
    from samizdat.support.providers.base import ParsedEvent
    from samizdat.support.webhooks import record_event

    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SAMIZDAT_DONOR_KEYS = [key_a]
    addresses = [f"reader{n}@example.org" for n in range(7)]
    for address in addresses:
        Supporter.objects.create(email=address)
    create_email_reminder("reminded@example.org", 3, "en")
    unpaid = Contribution.objects.create(provider="demo", amount_minor=100, currency="USD",
                                         checkout_email="unpaid@example.org")
    record_event("demo", ParsedEvent(
        id="evt_sealed", type="checkout.completed", occurred_at=datetime.now(UTC),
        payload={"customer_details": {"email": "payer@example.org"}}))
    everyone = [*addresses, "reminded@example.org", "payer@example.org", "unpaid@example.org"]
    assert_no_address(*everyone)
    before = raw_tokens()
    assert all(Fernet(key_a).decrypt(token.encode()) for token in before)

    settings.SAMIZDAT_DONOR_KEYS = [key_b, key_a]
    assert Supporter.objects.with_email("reader3@example.org").get().email == "reader3@example.org"
    Supporter.objects.create(email="new@example.org")  # written under B meanwhile
    out = call_command_output("rotate_donor_key", "--batch-size", "3")
    assert "support.Supporter.email: 8 checked, 7 re-encrypted, 1 already current" in out
    assert "appeals.EmailReminder.email: 1 checked, 1 re-encrypted" in out
    assert "support.Contribution.checkout_email: 1 checked, 1 re-encrypted" in out
    assert "support.ProviderEvent personal values: 1 checked, 1 re-encrypted" in out
    assert_no_address(*everyone)
    again = call_command_output("rotate_donor_key")
    assert "0 re-encrypted" in again and "8 already current" in again

    settings.SAMIZDAT_DONOR_KEYS = [key_b]
    assert sorted(s.email for s in Supporter.objects.all()) == sorted(
        [*addresses, "new@example.org"])
    from samizdat.appeals.models import EmailReminder
    from samizdat.support.crypto import unseal

    assert EmailReminder.objects.get().email == "reminded@example.org"
    unpaid.refresh_from_db()
    assert unpaid.checkout_email == "unpaid@example.org"
    event = ProviderEvent.objects.get(event_id="evt_sealed")
    assert unseal(event.payload["customer_details"]["email"]) == "payer@example.org"
    for token in raw_tokens():
        assert Fernet(key_b).decrypt(token.encode())
    assert_no_address(*everyone)


def test_rotation_refuses_a_bad_key_and_reports_rows_no_key_can_read(settings):
    settings.SAMIZDAT_DONOR_KEYS = ["not-a-fernet-key"]
    with pytest.raises(CommandError, match="entry 1 is not a Fernet key"):
        call_command("rotate_donor_key")
    settings.SAMIZDAT_DONOR_KEYS = [Fernet.generate_key().decode()]
    Supporter.objects.create(email="lost@example.org")
    settings.SAMIZDAT_DONOR_KEYS = [Fernet.generate_key().decode()]  # the old key is gone
    with pytest.raises(CommandError, match="1 value.* could not be decrypted"):
        call_command_output("rotate_donor_key")


def call_command_output(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_production_without_keys_fails_the_system_check(settings):
    from samizdat.support.checks import check_donor_keys

    assert check_donor_keys() == []
    settings.SAMIZDAT_DONOR_KEYS = []
    settings.SAMIZDAT_DONOR_INDEX_KEY = ""
    ids = {error.id for error in check_donor_keys()}
    assert ids == {"samizdat_support.E001", "samizdat_support.E003"}
    settings.SAMIZDAT_DONOR_KEYS = ["short"]
    assert "samizdat_support.E002" in {error.id for error in check_donor_keys()}


def test_generate_donor_key_prints_usable_keys():
    key = call_command_output("generate_donor_key").strip()
    assert Fernet(key.encode())
    assert len(call_command_output("generate_donor_key", "--index").strip()) >= 32
