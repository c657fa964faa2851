"""Every staff view of supporters' records is in an audit log that staff cannot change."""

import json

import pytest
from wagtail.models import ModelLogEntry

from samizdat.support.models import Contribution, Pledge, Supporter
from samizdat.support.staff import FUNDRAISING, ensure_fundraising_group
from samizdat.users.testing import login_with_second_factor

from .rows import make_gift, make_pledge

pytestmark = pytest.mark.django_db

VIEW_ACTIONS = ("support.view_listing", "support.view_record", "support.export")


@pytest.fixture
def staff(django_user_model, client):
    """staff("fina", [FUNDRAISING]) → a user signed in with a second factor."""

    def build(username, groups=(), superuser=False):
        from django.contrib.auth.models import Group

        from samizdat.news.roles import ensure_groups

        ensure_groups()
        ensure_fundraising_group()
        if superuser:
            user = django_user_model.objects.create_superuser(username=username, password="x")
        else:
            user = django_user_model.objects.create_user(username=username, password="x")
            user.groups.add(*Group.objects.filter(name__in=groups))
        login_with_second_factor(client, user)
        return user

    return build


def view_entries(**filters):
    return ModelLogEntry.objects.filter(action__in=VIEW_ACTIONS, **filters).order_by("pk")


def test_opening_a_gift_or_plan_writes_an_entry_with_the_user_and_the_record_id(client, staff):
    gift, _entry = make_gift("alice@example.org", 2500)
    plan, _entry = make_pledge("bob@example.org", 500)
    user = staff("fina", [FUNDRAISING])

    response = client.get(f"/admin/fundraising/contributions/inspect/{gift.pk}/")
    assert response.status_code == 200 and gift.reference in response.content.decode()
    assert client.get(f"/admin/fundraising/pledges/inspect/{plan.pk}/").status_code == 200

    gift_row, plan_row = view_entries(action="support.view_record")
    assert (gift_row.user_id, gift_row.object_id, gift_row.content_type.model_class()) == (
        user.pk, str(gift.pk), Contribution)
    assert gift_row.data == {"model": "contribution", "id": gift.pk,
                             "reference": gift.reference, "view": "inspect"}
    assert (plan_row.user_id, plan_row.object_id, plan_row.content_type.model_class()) == (
        user.pk, str(plan.pk), Pledge)
    for row in (gift_row, plan_row):
        assert "@" not in row.label and "@" not in json.dumps(row.data)


def test_each_listing_page_is_one_entry_with_its_count_filters_and_ids(client, staff):
    paid = [make_gift(f"donor{i}@example.org", 1000 + i)[0] for i in range(3)]
    refunded, _entry = make_gift("gone@example.org", 900)
    Contribution.objects.filter(pk=refunded.pk).update(status="refunded")
    user = staff("fina", [FUNDRAISING])

    assert client.get("/admin/fundraising/contributions/", {"status": "paid"}).status_code == 200
    assert client.get("/admin/fundraising/pledges/").status_code == 200

    listing, pledges = view_entries(action="support.view_listing")
    assert listing.user_id == user.pk
    assert listing.data["listing"] == "contribution"
    assert listing.data["count"] == 3 and listing.data["page"] == 1
    assert sorted(listing.data["ids"]) == sorted(g.pk for g in paid)
    assert listing.data["filters"] == {"status": "paid"} and listing.data["query"] == ""
    assert listing.content_type.model == "fundinggoal"
    assert (pledges.data["listing"], pledges.data["count"], pledges.data["ids"]) == (
        "pledge", 0, [])
    assert "donor" not in json.dumps(listing.data)


def test_a_searched_address_is_kept_only_as_a_keyed_hash(client, staff):
    alice, _entry = make_gift("alice@example.org", 2500)
    make_gift("bob@example.org", 5000)
    staff("fina", [FUNDRAISING])

    page = client.get("/admin/fundraising/contributions/", {"q": "Alice@Example.org"})
    assert "alice@example.org" in page.content.decode()  # staff see the match ...
    client.get("/admin/fundraising/contributions/", {"q": " alice@example.org "})
    client.get("/admin/fundraising/contributions/", {"q": alice.reference})
    client.get("/admin/fundraising/contributions/",
               {"q": "alice@example.org", "export": "csv"}).getvalue()

    first, second, by_reference = view_entries(action="support.view_listing")
    export = view_entries(action="support.export").get()
    # ... the log does not: the same address always gives the same hash, and no letters of it.
    assert first.data["query"].startswith("hmac:")
    assert first.data["query"] == second.data["query"]
    assert first.data["ids"] == [alice.pk]
    assert by_reference.data["query"] == alice.reference
    assert export.data["query"].startswith("q=hmac")
    everything = json.dumps([e.data for e in ModelLogEntry.objects.all()])
    everything += "".join(e.label for e in ModelLogEntry.objects.all())
    assert "alice" not in everything.lower() and "example.org" not in everything


def test_the_bank_transfer_page_is_logged_as_a_record_view(client, staff):
    gift = Contribution.objects.create(
        supporter=Supporter.objects.create(email="wire@example.org"), provider="bank_transfer",
        status="pending", amount_minor=5000, currency="EUR",
    )
    user = staff("fina", [FUNDRAISING])
    assert client.get(f"/admin/fundraising/contributions/transfer/{gift.pk}/").status_code == 200
    row = view_entries(action="support.view_record").get()
    assert (row.user_id, row.object_id, row.data["view"]) == (user.pk, str(gift.pk), "transfer")


def test_fundraising_and_superusers_read_the_access_log(client, staff):
    gift, _entry = make_gift("alice@example.org", 2500)
    fina = staff("fina", [FUNDRAISING])
    client.get("/admin/fundraising/contributions/")
    client.get(f"/admin/fundraising/contributions/inspect/{gift.pk}/")

    response = client.get("/admin/fundraising/access-log/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-user-id="{fina.pk}"' in page and "fina" in page
    assert f"contribution {gift.pk}" in page and "View a supporter&#x27;s record" in page
    assert "alice@example.org" not in page
    assert "Access log" in client.get("/admin/").content.decode()

    # The same entries appear in Wagtail's own Reports → Site history.
    history = client.get("/admin/reports/site-history/").content.decode()
    assert "View a supporter&#x27;s record" in history

    staff("root", superuser=True)
    assert client.get("/admin/fundraising/access-log/").status_code == 200


def test_no_admin_url_edits_or_deletes_audit_entries(client, staff):
    gift, _entry = make_gift("alice@example.org", 2500)
    staff("fina", [FUNDRAISING])
    client.get(f"/admin/fundraising/contributions/inspect/{gift.pk}/")
    row = view_entries().get()
    before = list(ModelLogEntry.objects.values_list("pk", "action", "data", "timestamp"))

    assert client.post("/admin/fundraising/access-log/", {"delete": row.pk}).status_code == 405
    for url in (
        f"/admin/fundraising/access-log/{row.pk}/",
        f"/admin/fundraising/access-log/{row.pk}/edit/",
        f"/admin/fundraising/access-log/{row.pk}/delete/",
        f"/admin/reports/site-history/{row.pk}/",
        f"/admin/reports/site-history/{row.pk}/delete/",
        f"/admin/snippets/wagtailcore/modellogentry/edit/{row.pk}/",
        f"/admin/snippets/wagtailcore/modellogentry/delete/{row.pk}/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code in (403, 404, 405), url
    # A record's own history (where Wagtail would offer actions) is closed too.
    history = client.get(f"/admin/fundraising/contributions/history/{gift.pk}/")
    assert history.status_code in (302, 403)
    delete = client.post(f"/admin/fundraising/contributions/delete/{gift.pk}/")
    assert delete.status_code in (302, 403)
    assert Contribution.objects.filter(pk=gift.pk).exists()

    from wagtail.snippets.models import get_snippet_models

    assert ModelLogEntry not in get_snippet_models()
    assert list(ModelLogEntry.objects.values_list("pk", "action", "data", "timestamp")) == before


@pytest.mark.parametrize("group", ["Editor", "Reporter"])
def test_an_editor_without_the_group_gets_no_donor_data_and_no_log(client, staff, group):
    gift, _entry = make_gift("secret.donor@example.org", 2500)
    staff("fina", [FUNDRAISING])
    client.get(f"/admin/fundraising/contributions/inspect/{gift.pk}/")
    client.logout()
    editor = staff("ed", [group])

    for url in (
        f"/admin/fundraising/contributions/inspect/{gift.pk}/",
        "/admin/fundraising/contributions/",
        "/admin/fundraising/access-log/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "secret.donor@example.org" not in response.content.decode()
        assert gift.reference not in response.content.decode()
    history = client.get("/admin/reports/site-history/").content.decode()
    assert "View a supporter" not in history and gift.reference not in history
    assert "Access log" not in client.get("/admin/").content.decode()
    assert not ModelLogEntry.objects.filter(user=editor).exists()


def test_fundraising_staff_without_a_second_factor_see_nothing_and_log_nothing(
    client, django_user_model
):
    from django.contrib.auth.models import Group

    gift, _entry = make_gift("alice@example.org", 2500)
    ensure_fundraising_group()
    user = django_user_model.objects.create_user(username="fina", password="x")
    user.groups.add(Group.objects.get(name=FUNDRAISING))
    client.force_login(user)  # password only: no second factor yet
    response = client.get(f"/admin/fundraising/contributions/inspect/{gift.pk}/")
    assert response.status_code == 302 and "/2fa/" in response["Location"]
    assert not view_entries().exists()
