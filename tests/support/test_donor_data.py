"""'Download my data' and 'Delete my data' through the self-service pages."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from samizdat.support.crypto import blind_index
from samizdat.support.goal import progress_for
from samizdat.support.models import (
    Contribution,
    LedgerEntry,
    ManageLink,
    Pledge,
    ProviderEvent,
    Supporter,
)

from .test_selfservice import _link_path, ask_for_link, sign_in

pytestmark = pytest.mark.django_db

READER = "reader@example.org"
OTHER = "someone.else@example.org"


@pytest.fixture
def demo():
    from samizdat.support.providers.base import get_provider

    return get_provider("demo")


def give(email, amount="25", frequency="once", currency="USD"):
    """A gift or plan made the way a reader makes one: form, demo checkout, signed event."""
    reader = Client()
    response = reader.post("/support/", {
        "frequency": frequency, "currency": currency, "amount": amount, "email": email,
        "method": "demo", "website": "",
    })
    assert response.status_code == 302, response.content
    assert reader.post(response["Location"], {"action": "pay"}).status_code == 302
    model = Contribution if frequency == "once" else Pledge
    return model.objects.latest("pk")


def remind(email):
    from samizdat.appeals.reminders import create_email_reminder

    return create_email_reminder(email, 30, "en")


def ledger_rows():
    return sorted(
        LedgerEntry.objects.values_list(
            "pk", "kind", "amount_minor", "currency", "occurred_at", "contribution_id",
            "pledge_id",
        )
    )


def ledger_is_consistent():
    out = io.StringIO()
    call_command("check_ledger", stdout=out)  # raises CommandError on any mismatch
    return "MISMATCH" not in out.getvalue()


def raw_addresses():
    """What the database itself holds in the supporter's address column."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT email_ciphertext FROM support_supporter ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


# --- Download -------------------------------------------------------------------------


def test_download_holds_the_supporters_gifts_plans_and_ledger_and_nobody_elses(
    client, mailoutbox, demo
):
    gift = give(READER, "42")
    give("Reader@Example.org", "10", currency="EUR")  # same person, other letter case
    demo.refund(gift)
    plan = give(READER, "5", frequency="monthly")
    remind(READER)
    give(OTHER, "99")
    give(OTHER, "7", frequency="monthly")

    sign_in(client, mailoutbox)
    response = client.get("/support/manage/my-data.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="my-support-data-')
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    data = json.loads(body)
    assert (data["format"], data["version"], data["email"]) == (
        "samizdat.supporter-data", 1, READER)
    assert sorted((g["amount"], g["currency"], g["status"]) for g in data["gifts"]) == [
        ("10.00", "EUR", "paid"), ("42.00", "USD", "refunded")]
    assert [(p["reference"], p["amount_minor"], p["frequency"], p["status"],
             p["payment_method"], p["payment_method_name"]) for p in data["plans"]] == [
        (plan.reference, 500, "monthly", "active", "demo", "Card (demo)")]
    assert sorted((row["kind"], row["amount_minor"]) for row in data["ledger"]) == [
        ("payment", 500), ("payment", 1000), ("payment", 4200), ("refund", -4200)]
    assert len(data["receipts"]) == 3
    assert [r["sent_at"] for r in data["receipts"]] == [None, None, None]  # no worker ran
    assert {r["number"].split("-")[0] for r in data["receipts"]} <= {
        ref.split("-")[0] for ref in [gift.reference, plan.reference]
        + [g["reference"] for g in data["gifts"]]}
    assert len(data["email_reminders"]) == 1
    assert data["sign_in_links"] and data["sign_in_links"][0]["used_at"]

    # Nothing of the other supporter, and no provider secrets or references.
    assert OTHER not in body and "99.00" not in body and "7.00" not in body
    for secret_like in ("demo_sub_", "demo_pay_", "demo_in_", "demo_cs_", "evt_demo_",
                        "token", "email_index", blind_index(READER)):
        assert secret_like not in body


def test_download_needs_a_signed_in_session(client):
    give(READER, "42")
    response = client.get("/support/manage/my-data.json")
    assert response.status_code == 302 and response["Location"] == "/support/manage/"


# --- Delete ---------------------------------------------------------------------------


def test_delete_erases_the_address_and_links_and_keeps_every_total(
    client, mailoutbox, demo, django_capture_on_commit_callbacks
):
    give(READER, "42")
    old_plan = give(READER, "5", frequency="monthly")
    demo.cancel_recurring(old_plan)  # a plan the reader had already ended
    remind(READER)
    other_gift = give(OTHER, "99")
    sign_in(client, mailoutbox)
    ask_for_link(Client(), READER)  # a second, unused link in the inbox
    unused_link = _link_path(mailoutbox[-1])

    rows_before = ledger_rows()
    progress_before = progress_for()
    assert ledger_is_consistent()

    page = client.get("/support/manage/delete/").content.decode()
    assert "What stays" in page and "anonymous supporter number" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/support/manage/delete/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/support/manage/deleted/"
    assert "Your data was deleted" in client.get(response["Location"]).content.decode()

    # Totals: the ledger is untouched, the month's figures are the same, nothing disagrees.
    assert ledger_rows() == rows_before
    after = progress_for()
    assert (after.raised_minor, after.one_off_minor, after.recurring_minor) == (
        progress_before.raised_minor, progress_before.one_off_minor,
        progress_before.recurring_minor)
    assert ledger_is_consistent()

    # The address is unreadable: blank, without index, in the database itself too.
    reader_rows = Supporter.objects.exclude(pk=other_gift.supporter_id)
    assert set(reader_rows.values_list("email", "email_index")) == {("", "")}
    assert all(row.forgotten_at for row in reader_rows)
    assert raw_addresses().count("") == reader_rows.count()
    assert Supporter.objects.with_email(OTHER).count() == 1
    from samizdat.appeals.models import EmailReminder
    assert not EmailReminder.objects.exists()
    assert not ManageLink.objects.filter(email_index=blind_index(READER)).exists()

    # Signed out; old links dead; a new sign-in finds nothing and sends nothing.
    assert client.get("/support/manage/account/").status_code == 302
    assert Client().post(unused_link).status_code == 410
    sent = len(mailoutbox)
    ask_for_link(Client(), READER)
    assert len(mailoutbox) == sent
    session_client = Client()
    session = session_client.session
    from samizdat.support import selfservice
    selfservice.sign_in(session, blind_index(READER))
    session.save()
    session_client.cookies["sessionid"] = session.session_key
    account = session_client.get("/support/manage/account/").content.decode()
    assert "No regular contributions under this address." in account
    assert "No payments yet." in account


def test_delete_cancels_an_active_plan_at_the_provider_first(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    plan = give(READER, "5", frequency="monthly")
    one_off_before = progress_for().one_off_minor
    sign_in(client, mailoutbox)
    page = client.get("/support/manage/delete/").content.decode()
    assert "Your regular contributions are canceled first" in page and "$5.00" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/support/manage/delete/", {"confirm": "on"})
    plan.refresh_from_db()
    assert plan.status == Pledge.Status.CANCELED
    assert ProviderEvent.objects.filter(pledge=plan, type="plan.canceled").count() == 1
    assert plan.supporter.email == "" and plan.supporter.email_index == ""
    assert progress_for().one_off_minor == one_off_before
    assert ledger_is_consistent()

    # No more e-mail to the address: receipts and notices have nowhere to go.
    from samizdat.support.tasks import send_cancellation, send_receipt

    sent = len(mailoutbox)
    entry = LedgerEntry.objects.get(pledge=plan)
    assert send_receipt.call(entry.pk) is False
    assert send_cancellation.call(plan.pk) is False
    assert len(mailoutbox) == sent


def test_provider_failure_on_cancel_erases_nothing_and_says_so(
    client, mailoutbox, settings, demo
):
    """A plan at a payment service that does not answer: nothing may be erased."""
    from tests.conftest import free_port

    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        **settings.SAMIZDAT_PAYMENT_PROVIDERS,
        "stripe": {
            "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
            # A real SDK call to a loopback port nobody listens on: the service is down.
            "OPTIONS": {"SECRET_KEY": "sk_test_samizdat",
                        "API_BASE": f"http://127.0.0.1:{free_port()}"},
        },
    }
    give(READER, "42")
    demo_plan = give(READER, "5", frequency="monthly")
    stripe_plan = give(READER, "8", frequency="monthly")
    Pledge.objects.filter(pk=stripe_plan.pk).update(provider="stripe",
                                                    subscription_ref="sub_unreachable")
    remind(READER)
    sign_in(client, mailoutbox)
    links_before = ManageLink.objects.count()
    rows_before = ledger_rows()

    response = client.post("/support/manage/delete/", {"confirm": "on"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "nothing was deleted" in page and stripe_plan.reference in page
    assert "stay canceled" in page and demo_plan.reference in page  # canceled before it
    assert {s.email for s in Supporter.objects.filter(
        pk__in=[demo_plan.supporter_id, stripe_plan.supporter_id])} == {READER}
    assert ManageLink.objects.count() == links_before
    from samizdat.appeals.models import EmailReminder
    assert EmailReminder.objects.count() == 1
    stripe_plan.refresh_from_db()
    assert stripe_plan.status == Pledge.Status.ACTIVE
    assert ledger_rows() == rows_before
    assert client.get("/support/manage/account/").status_code == 200  # still signed in


# --- Bad input ------------------------------------------------------------------------


def _nothing_changed(plan):
    plan.refresh_from_db()
    assert plan.status == Pledge.Status.ACTIVE
    assert Supporter.objects.with_email(READER).count() == 1
    assert not ProviderEvent.objects.filter(type="plan.canceled").exists()


def test_delete_without_the_box_ticked_or_by_get_changes_nothing(client, mailoutbox):
    plan = give(READER, "5", frequency="monthly")
    sign_in(client, mailoutbox)
    assert client.get("/support/manage/delete/").status_code == 200
    _nothing_changed(plan)
    response = client.post("/support/manage/delete/", {})
    assert response.status_code == 200
    assert "Tick the box to confirm. Nothing was deleted." in response.content.decode()
    _nothing_changed(plan)
    assert client.get("/support/manage/account/").status_code == 200


def test_delete_with_an_expired_session_or_none_changes_nothing(client, mailoutbox):
    from samizdat.support import selfservice

    plan = give(READER, "5", frequency="monthly")
    sign_in(client, mailoutbox)
    session = client.session
    selfservice.sign_in(session, blind_index(READER), now=timezone.now() - timedelta(hours=2))
    session.save()
    client.cookies["sessionid"] = session.session_key
    response = client.post("/support/manage/delete/", {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == "/support/manage/"
    assert "Your session has ended. Ask for a new link." in response.content.decode()
    _nothing_changed(plan)
    assert Client().post("/support/manage/delete/", {"confirm": "on"}).status_code == 302
    _nothing_changed(plan)


def test_delete_without_a_csrf_token_is_refused(client, mailoutbox):
    plan = give(READER, "5", frequency="monthly")
    sign_in(client, mailoutbox)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies["sessionid"] = client.cookies["sessionid"].value
    assert strict.get("/support/manage/account/").status_code == 200
    assert strict.post("/support/manage/delete/", {"confirm": "on"}).status_code == 403
    _nothing_changed(plan)


def test_the_delete_page_speaks_russian(client, mailoutbox):
    give(READER, "5", frequency="monthly")
    sign_in(client, mailoutbox)
    page = client.get("/ru/support/manage/delete/").content.decode()
    assert "Что остаётся" in page and "Сначала отменяются ваши регулярные пожертвования" in page
    response = client.post("/ru/support/manage/delete/", {})
    assert "Отметьте галочку, чтобы подтвердить. Ничего не удалено." in response.content.decode()


def test_the_privacy_page_points_to_download_and_delete(client, demo_site):
    page = client.get("/privacy/").content.decode()
    assert 'href="/support/manage/"' in page and "download everything we hold" in page
    page_ru = client.get("/ru/privacy/").content.decode()
    assert 'href="/ru/support/manage/"' in page_ru and "скачать всё, что мы" in page_ru


def test_download_says_when_a_receipt_was_sent(client, mailoutbox,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        gift = give(READER, "42")  # the payment's receipt goes out through the task
    assert mailoutbox[-1].to == [READER]
    sign_in(client, mailoutbox)
    receipt, = json.loads(client.get("/support/manage/my-data.json").content)["receipts"]
    assert receipt["number"].startswith(gift.reference) and receipt["sent_at"]

