"""Only superusers give access to supporters' data; the grant is audited and waits for the
user's next sign-in with a second factor (issue: hardening, item 3).

Before, an Admin — whose password alone opened the admin — added itself to
Fundraising through the user edit form and then exported the donor list.
"""

import pytest
from django.contrib.auth import get_user_model
from wagtail.models import ModelLogEntry

from samizdat.news.roles import ensure_groups
from samizdat.support.staff import ensure_fundraising_group
from samizdat.users.testing import login_with_second_factor
from samizdat.users.two_factor import requires_two_factor

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def groups(db):
    found = ensure_groups()
    found["Fundraising"] = ensure_fundraising_group()
    return found


def _user(name, *groups, **extra):
    user = User.objects.create_user(name, f"{name}@newsroom.example", "pw-" + name * 3, **extra)
    user.groups.add(*groups)
    return user


def _edit_form(user, groups):
    return {"username": user.username, "email": user.email, "first_name": "A",
            "last_name": "B", "password1": "", "password2": "",
            "groups": [g.pk for g in groups], "is_active": "on"}


def test_an_admin_cannot_give_itself_the_donor_list(client, groups):
    admin = _user("rogue", groups["Admin"])
    login_with_second_factor(client, admin)
    response = client.post(f"/admin/users/edit/{admin.pk}/",
                           _edit_form(admin, [groups["Admin"], groups["Fundraising"]]))
    # Wagtail answers a PermissionDenied with its "no permission" redirect and message.
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not admin.groups.filter(name="Fundraising").exists()
    assert client.get("/admin/support/contributions/").status_code in (302, 403, 404)


def test_an_admin_cannot_change_what_a_group_may_do(client, groups):
    admin = _user("rogue", groups["Admin"])
    login_with_second_factor(client, admin)
    assert client.get(f"/admin/groups/edit/{groups['Admin'].pk}/").status_code in (302, 403)
    before = set(groups["Admin"].permissions.values_list("pk", flat=True))
    client.post(f"/admin/groups/edit/{groups['Admin'].pk}/", {"name": "Admin"})
    assert set(groups["Admin"].permissions.values_list("pk", flat=True)) == before


def test_whoever_can_change_users_needs_a_second_factor(groups):
    assert requires_two_factor(_user("admin-a", groups["Admin"]))
    assert not requires_two_factor(_user("reporter-a", groups["Reporter"]))


def test_a_superusers_grant_is_audited_and_starts_at_the_next_verified_sign_in(
        client, groups):
    from django.test import Client

    boss = _user("boss", is_superuser=True, is_staff=True)
    newcomer = _user("newcomer", groups["Editor"])
    their_browser = Client()
    their_browser.force_login(newcomer)
    assert their_browser.get("/admin/").status_code == 200
    login_with_second_factor(client, boss)
    response = client.post(f"/admin/users/edit/{newcomer.pk}/",
                           _edit_form(newcomer, [groups["Editor"], groups["Fundraising"]]))
    assert response.status_code == 302
    assert newcomer.groups.filter(name="Fundraising").exists()
    entry = ModelLogEntry.objects.get(action="users.donor_access_granted")
    assert entry.user_id == boss.pk and entry.data["groups"] == ["Fundraising"]
    # Their open session ended: the admin now asks them to sign in (then for 2FA).
    assert their_browser.get("/admin/").status_code == 302


def test_the_operator_can_still_grant_from_the_command_line(groups):
    from django.core.management import call_command

    user = _user("treasurer")
    call_command("setup_fundraising", "--add-user", "treasurer", verbosity=0)
    assert user.groups.filter(name="Fundraising").exists()
