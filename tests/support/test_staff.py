"""The Fundraising admin: who sees it, what the listings and export contain."""

import csv
import io

import pytest
from django.core.management import call_command

from samizdat.support.staff import FUNDRAISING, ensure_fundraising_group

from .rows import make_gift, make_pledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user(django_user_model):
    def build(username, group_names):
        from django.contrib.auth.models import Group

        from samizdat.news.roles import ensure_groups

        ensure_groups()
        ensure_fundraising_group()
        user = django_user_model.objects.create_user(username=username, password="x")
        user.groups.add(*Group.objects.filter(name__in=group_names))
        return user

    return build


def login_verified(client, user):
    """Sign in with a confirmed TOTP device, as the admin's two-factor step requires."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def _text(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_setup_fundraising_is_idempotent_and_adds_users(staff_user, django_user_model):
    user = django_user_model.objects.create_user(username="fina", password="x")
    call_command("setup_fundraising", "--add-user", "fina", stdout=io.StringIO())
    call_command("setup_fundraising", stdout=io.StringIO())
    group = user.groups.get()
    assert group.name == FUNDRAISING
    assert user.has_perm("support.view_contribution")
    assert user.has_perm("support.view_fundraising_dashboard")
    assert not user.has_perm("support.change_contribution")


def test_setup_fundraising_refuses_an_unknown_user_and_changes_nothing(django_user_model):
    from django.core.management.base import CommandError

    known = django_user_model.objects.create_user(username="fina", password="x")
    with pytest.raises(CommandError):
        call_command("setup_fundraising", "--add-user", "fina", "--add-user", "nobody",
                     stdout=io.StringIO())
    assert not known.groups.exists()


def test_migrate_creates_the_fundraising_group_with_its_permissions():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=FUNDRAISING)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_contribution", "view_pledge", "view_fundraising_dashboard",
            "confirm_bank_transfer"} <= codenames
    assert not codenames & {"change_contribution", "delete_contribution", "change_pledge"}


@pytest.mark.parametrize("group", ["Editor", "Reporter"])
def test_editors_and_reporters_cannot_see_supporters(client, staff_user, group):
    make_gift("secret.donor@example.org")
    login_verified(client, staff_user("ed", [group]))
    for url in (
        "/admin/fundraising/",
        "/admin/fundraising/contributions/",
        "/admin/fundraising/pledges/",
        "/admin/fundraising/contributions/?export=csv",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "secret.donor@example.org" not in _text(response)
    menu = client.get("/admin/").content.decode()
    assert "Fundraising" not in menu


def test_fundraising_staff_search_contributions_by_email(client, staff_user):
    make_gift("alice@example.org", 2500)
    make_gift("bob@example.org", 5000)
    login_verified(client, staff_user("fina", [FUNDRAISING]))
    # The whole address, any case: it is found through its blind index, not by substring.
    page = client.get("/admin/fundraising/contributions/",
                      {"q": " ALICE@example.org"}).content.decode()
    assert "alice@example.org" in page and "$25.00" in page
    assert "bob@example.org" not in page
    partial = client.get("/admin/fundraising/contributions/", {"q": "alice@example"})
    assert "alice@example.org" not in partial.content.decode()
    assert "Fundraising" in client.get("/admin/").content.decode()


def test_pledge_listing_filters_by_status(client, staff_user):
    make_pledge("active@example.org", status="active")
    make_pledge("gone@example.org", status="canceled")
    login_verified(client, staff_user("fina", [FUNDRAISING]))
    page = client.get("/admin/fundraising/pledges/", {"status": "canceled"}).content.decode()
    assert "gone@example.org" in page
    assert "active@example.org" not in page


def test_listings_are_read_only_even_for_superusers(client, django_user_model):
    gift, _entry = make_gift("alice@example.org")
    admin = django_user_model.objects.create_superuser(username="root", password="x")
    login_verified(client, admin)
    assert client.get("/admin/fundraising/contributions/").status_code == 200
    edit_url = f"/admin/fundraising/contributions/edit/{gift.pk}/"
    assert client.get(edit_url).status_code in (302, 403)
    response = client.post(edit_url, {"status": "refunded"})
    assert response.status_code in (302, 403)
    gift.refresh_from_db()
    assert gift.status == "paid"


def test_csv_export_has_emails_amounts_and_no_live_formulas(client, staff_user):
    make_gift("alice@example.org", 2550, "EUR")
    pledge, _entry = make_pledge("bob@example.org", 1000, "USD", frequency="annual",
                                 status="canceled")
    pledge.cancel_reason = '=HYPERLINK("http://evil.example","click")'
    pledge.save()
    login_verified(client, staff_user("fina", [FUNDRAISING]))

    response = client.get("/admin/fundraising/contributions/", {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_text(response))))
    assert [(r["E-mail"], r["Amount"], r["Currency"], r["Status"]) for r in rows] == [
        ("alice@example.org", "25.50", "EUR", "paid")
    ]

    rows = list(csv.DictReader(io.StringIO(_text(
        client.get("/admin/fundraising/pledges/", {"export": "csv"})
    ))))
    assert rows[0]["E-mail"] == "bob@example.org"
    assert rows[0]["Frequency"] == "annual"
    assert rows[0]["Cancellation reason"].startswith("'=HYPERLINK")


def test_every_export_is_recorded_in_the_audit_log(client, staff_user):
    from wagtail.models import ModelLogEntry

    make_gift("alice@example.org", 2550, "EUR")
    make_gift("bob@example.org", 1000, "USD")
    user = staff_user("fina", [FUNDRAISING])
    login_verified(client, user)
    _text(client.get("/admin/fundraising/contributions/", {"export": "csv", "currency": "EUR"}))
    response = client.get("/admin/fundraising/contributions/", {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")

    entries = ModelLogEntry.objects.filter(action="support.export").order_by("timestamp", "pk")
    assert [(e.user_id, e.data["format"], e.data["rows"], e.data["query"]) for e in entries] == [
        (user.pk, "csv", 1, "currency=EUR"),
        (user.pk, "xlsx", 2, ""),
    ]
    assert entries[0].message == "Exported 1 rows of one-off gifts as CSV"


def test_dashboard_shows_this_month_against_the_goal_with_an_svg_chart(client, staff_user):
    from samizdat.support.models import FundingGoal

    goal = FundingGoal.load()
    goal.monthly_cost = 1000
    goal.save()
    make_gift("a@example.org", 10000)  # $100
    make_pledge("b@example.org", 500)  # $5 / month
    make_pledge("c@example.org", 12000, frequency="annual")  # $10 / month
    login_verified(client, staff_user("fina", [FUNDRAISING]))
    response = client.get("/admin/fundraising/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-figure="raised">$115.00' in page
    assert 'data-figure="goal">$1,000.00' in page
    assert 'data-figure="mrr">$15.00' in page
    assert 'data-figure="new">2' in page
    assert "<svg" in page and 'class="chart__bar"' in page
    assert "<progress" in page


def _yesterday():
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() - timedelta(days=1)).isoformat()


def _pending_transfer(email="transfer@example.org", amount_minor=2500):
    from samizdat.support.models import Contribution

    from .rows import make_supporter

    return Contribution.objects.create(
        supporter=make_supporter(email), provider="bank_transfer", status="pending",
        amount_minor=amount_minor, currency="EUR", language="en",
    )


def test_fundraising_staff_confirm_a_bank_transfer_into_the_ledger(
    client, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    from samizdat.support.models import LedgerEntry

    gift = _pending_transfer()
    login_verified(client, staff_user("fina", [FUNDRAISING]))
    listing = client.get("/admin/fundraising/contributions/").content.decode()
    url = f"/admin/fundraising/contributions/transfer/{gift.pk}/"
    assert f'href="{url}"' in listing

    bad = client.post(url, {"amount": "abc", "received_on": _yesterday()})
    assert bad.status_code == 200 and "error-message" in bad.content.decode()
    assert not LedgerEntry.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"amount": "25", "received_on": _yesterday()})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.status == "paid"
    [entry] = LedgerEntry.objects.all()
    assert (entry.kind, entry.amount_minor, entry.currency) == ("payment", 2500, "EUR")
    assert mailoutbox[-1].to == ["transfer@example.org"]
    assert f'href="{url}"' not in client.get("/admin/fundraising/contributions/").content.decode()
    # Money entered by hand is audited: who, which transfer, how much, which day.
    from wagtail.models import ModelLogEntry

    audit = ModelLogEntry.objects.get(action="support.transfer_received")
    assert audit.user.username == "fina"
    assert audit.data == {"id": gift.pk, "reference": gift.reference, "amount_minor": 2500,
                          "currency": "EUR", "received_on": _yesterday()}
    assert "transfer@example.org" not in str(audit.data)  # no address kept
    # The access log says the amount as the admin shows money, not "2500 EUR".
    assert audit.message == (f"Recorded transfer {gift.reference} as received: €25.00 on "
                             f"{_yesterday()}")


def test_editors_cannot_confirm_bank_transfers(client, staff_user):
    gift = _pending_transfer()
    login_verified(client, staff_user("ed", ["Editor"]))
    response = client.post(f"/admin/fundraising/contributions/transfer/{gift.pk}/",
                           {"amount": "25", "received_on": _yesterday()})
    assert response.status_code in (302, 403)
    gift.refresh_from_db()
    assert gift.status == "pending"
