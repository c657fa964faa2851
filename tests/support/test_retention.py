"""Retention on a controlled clock: contact data goes, totals stay (C19)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from samizdat.support import ledger
from samizdat.support.crypto import blind_index
from samizdat.support.models import (
    Contribution,
    LedgerEntry,
    ManageLink,
    Pledge,
    ProviderEvent,
    RetentionSettings,
    Supporter,
)
from samizdat.support.retention import forget_supporter, months_before

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=True)


def start(client, **data):
    base = {"frequency": "once", "currency": "USD", "amount": "25", "email": "",
            "method": "demo", "website": ""}
    base.update(data)
    response = client.post("/support/", base)
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def give(client, email, when, amount="25", frequency="once", action="pay"):
    """A gift or plan started at `when` through the form and the demo checkout."""
    with at(when):
        checkout = start(client, email=email, amount=amount, frequency=frequency)
        if action:
            client.post(checkout, {"action": action})
    model = Contribution if frequency == "once" else Pledge
    return model.objects.order_by("-pk").first()


def figures():
    """Everything staff and readers see as totals, at a fixed moment."""
    from samizdat.support.dashboard import build_dashboard
    from samizdat.support.goal import progress_for

    out = StringIO()
    call_command("check_ledger", stdout=out)
    dashboards = [build_dashboard(now=moment) for moment in (
        NOW, NOW - timedelta(days=60), NOW - timedelta(days=600))]
    report = out.getvalue()
    assert "Ledger consistent." in report
    return {
        # "…, N ledger entries; net $X." (gift and plan counts drop: abandoned ones go)
        "check_ledger": report[report.index("pledges, ") + len("pledges, "):],
        "totals": ledger.totals(),
        "entries": sorted(LedgerEntry.objects.values_list(
            "pk", "amount_minor", "currency", "occurred_at", "contribution", "pledge")),
        "goal": [progress_for(now=NOW - timedelta(days=30 * n)) for n in range(0, 30)],
        "dashboards": dashboards,
    }


def has_address(email):
    """A supporter's, or still on a checkout no money reached (CheckoutEmail)."""
    index = blind_index(email)
    return (Supporter.objects.with_email(email).exists()
            or Contribution.objects.filter(checkout_email_index=index).exists()
            or Pledge.objects.filter(checkout_email_index=index).exists())


def test_retention_erases_exactly_the_lapsed_addresses_and_keeps_every_total(client, demo):
    # One-off donors.
    old = give(client, "old@example.org", NOW - timedelta(days=600))
    give(client, "mixed@example.org", NOW - timedelta(days=700))
    give(client, "mixed@example.org", NOW - timedelta(days=60))  # recent: keeps the address
    declined = give(client, "declined@example.org", NOW - timedelta(days=500), action="decline")
    # A plan canceled 15 months ago, one canceled 6 months ago, one still active.
    lapsed = give(client, "lapsed@example.org", NOW - timedelta(days=900), "5", "monthly")
    with at(NOW - timedelta(days=870)):
        demo.simulate_renewal(lapsed)
    with at(NOW - timedelta(days=460)):
        demo.cancel_recurring(lapsed)
    recent_cancel = give(client, "recent@example.org", NOW - timedelta(days=400), "5", "monthly")
    with at(NOW - timedelta(days=180)):
        demo.cancel_recurring(recent_cancel)
    active = give(client, "active@example.org", NOW - timedelta(days=900), "10", "monthly")
    with at(NOW - timedelta(days=30)):
        demo.simulate_renewal(active)
    # An old one-off donor who also has a plan that is still active elsewhere: kept.
    give(client, "both@example.org", NOW - timedelta(days=800))
    give(client, "both@example.org", NOW - timedelta(days=800), "3", "monthly")
    # Abandoned checkouts: old ones go, a recent one and one with an event stay.
    stale = give(client, "stale@example.org", NOW - timedelta(days=10), action=None)
    stale_anonymous = give(client, "", NOW - timedelta(days=30), action=None)
    fresh = give(client, "fresh@example.org", NOW - timedelta(days=2), action=None)
    touched = give(client, "touched@example.org", NOW - timedelta(days=30), action=None)
    ProviderEvent.objects.create(provider="demo", event_id="evt_waiting", type="x",
                                 payload={}, occurred_at=NOW - timedelta(days=30),
                                 contribution=touched)
    stale_plan = give(client, "plan@example.org", NOW - timedelta(days=9), "5", "monthly",
                      action=None)
    with at(NOW - timedelta(days=1)):
        ManageLink.objects.issue(blind_index("old@example.org"))
    from samizdat.appeals.reminders import create_email_reminder

    create_email_reminder("lapsed@example.org", 30, "en")

    assert (old.status, declined.status, active.status) == ("paid", "failed", "active")
    lapsed.refresh_from_db()
    assert lapsed.status == "canceled"
    before = figures()
    supporters_before = Supporter.objects.count()

    with at(NOW):
        out = StringIO()
        call_command("apply_retention", stdout=out)
    # The declined gift's address was never a supporter's: it goes with the checkouts'.
    assert "deleted 2 abandoned gifts, 1 abandoned plans, 0 empty supporter rows; " \
           "erased 2 addresses; 1 addresses of unpaid checkouts" in out.getvalue()

    assert figures() == before
    for gone in ("old@example.org", "declined@example.org", "lapsed@example.org",
                 "stale@example.org", "plan@example.org"):
        assert not has_address(gone), gone
    for kept in ("mixed@example.org", "recent@example.org", "active@example.org",
                 "both@example.org", "fresh@example.org", "touched@example.org"):
        assert has_address(kept), kept
    old.refresh_from_db()
    assert old.supporter is not None and old.supporter.email == ""
    assert old.supporter.forgotten_at is not None and old.email == ""
    assert not Contribution.objects.filter(pk__in=[stale.pk, stale_anonymous.pk]).exists()
    assert not Pledge.objects.filter(pk=stale_plan.pk).exists()
    assert Contribution.objects.filter(pk__in=[fresh.pk, touched.pk]).count() == 2
    active.refresh_from_db()
    assert active.status == "active" and active.email == "active@example.org"
    # No checkout made a supporter before its money arrived: none to delete.
    assert Supporter.objects.count() == supporters_before
    assert not ManageLink.objects.exists()
    from samizdat.appeals.models import EmailReminder

    assert not EmailReminder.objects.exists()

    # A second run (the next day) changes nothing.
    with at(NOW + timedelta(days=1)):
        out = StringIO()
        call_command("apply_retention", stdout=out)
    assert "deleted 0 abandoned gifts, 0 abandoned plans, 0 empty supporter rows; " \
           "erased 0 addresses; 0 addresses of unpaid checkouts" in out.getvalue()
    assert figures() == before


def test_the_most_recent_gift_decides_and_the_period_is_the_admins(client):
    give(client, "reader@example.org", NOW - timedelta(days=500))
    give(client, "reader@example.org", NOW - timedelta(days=100))
    with at(NOW):
        call_command("apply_retention", stdout=StringIO())
    assert has_address("reader@example.org")
    settings = RetentionSettings.load()
    settings.one_off_months = 3
    settings.save()
    with at(NOW):
        call_command("apply_retention", stdout=StringIO())
    assert not has_address("reader@example.org")


def test_forget_supporter_erases_every_row_of_the_address_and_its_links(client):
    from samizdat.appeals.reminders import create_email_reminder

    first = give(client, "me@example.org", NOW - timedelta(days=3))
    second = Supporter.objects.create(email="ME@example.org")
    Contribution.objects.filter(pk=first.pk).update(supporter=first.supporter)
    ManageLink.objects.issue(blind_index("me@example.org"))
    create_email_reminder("me@example.org", 5, "en")
    totals = ledger.totals()
    assert forget_supporter(first.supporter) == 2
    second.refresh_from_db()
    assert (second.email, second.email_index) == ("", "")
    assert not ManageLink.objects.exists()
    from samizdat.appeals.models import EmailReminder

    assert not EmailReminder.objects.exists()
    assert ledger.totals() == totals
    assert forget_supporter(first.supporter) == 0  # already forgotten: nothing to do


def test_months_are_calendar_months():
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28,
                                                                            tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(2024, 12, 15,
                                                                             tzinfo=UTC)


@pytest.mark.parametrize("field,value", [
    ("pending_days", "0"), ("pending_days", "-3"), ("pending_days", "100000"),
    ("one_off_months", "0"), ("one_off_months", "999"), ("canceled_months", "abc"),
])
def test_the_settings_form_refuses_zero_negative_and_absurd_periods(field, value):
    from wagtail.admin.panels import get_edit_handler

    handler = get_edit_handler(RetentionSettings)
    form_class = handler.get_form_class()
    data = {"pending_days": "7", "one_off_months": "13", "canceled_months": "13", field: value}
    form = form_class(data, instance=RetentionSettings.load())
    assert not form.is_valid()
    assert field in form.errors
    assert form_class({"pending_days": "7", "one_off_months": "13", "canceled_months": "13"},
                      instance=RetentionSettings.load()).is_valid()


def test_only_fundraising_staff_and_superusers_may_edit_retention(client, django_user_model):
    from django.contrib.auth.models import Group

    from samizdat.support.staff import ensure_fundraising_group
    from samizdat.users.testing import login_with_second_factor

    url = "/admin/settings/support/retentionsettings/"
    editor = django_user_model.objects.create_user(username="ed", password="x")
    editor.groups.add(Group.objects.get_or_create(name="Editors")[0])
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    login_with_second_factor(client, editor)
    assert client.get(url).status_code in (302, 403)
    fundraiser = django_user_model.objects.create_user(username="fina", password="x")
    fundraiser.groups.add(ensure_fundraising_group())
    login_with_second_factor(client, fundraiser)
    page = client.get(url, follow=True)
    assert page.status_code == 200 and "pending_days" in page.content.decode()
    edit_url = page.redirect_chain[-1][0] if page.redirect_chain else url
    response = client.post(edit_url, {"pending_days": "0", "one_off_months": "13",
                                      "canceled_months": "13"})
    assert response.status_code == 200  # the form again, with the error
    assert "greater than or equal to 1" in response.content.decode()
    assert RetentionSettings.load().pending_days == 7
