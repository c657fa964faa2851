"""Where staff manage groups, each of Samizdat's groups says in one line what it is for."""

import re

import pytest

from samizdat.news.roles import ADMIN, EDITOR, REPORTER, ensure_groups
from samizdat.support.staff import FUNDRAISING, ensure_fundraising_group
from tests.support.test_staff import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    ensure_groups()
    ensure_fundraising_group()
    return django_user_model.objects.create_superuser(username="root", password="x")


@pytest.fixture
def superuser_client(client, superuser):
    login_verified(client, superuser)
    return client


def _row(page, name):
    """The listing row of the group called `name`."""
    start = re.search(rf">\s*{name}\s*<", page).start()
    return page[start : page.index("</tr>", start)]


def test_group_listing_describes_each_of_our_groups(superuser_client):
    page = superuser_client.get("/admin/groups/").content.decode()
    assert "What it is for" in page
    assert "cannot publish" in _row(page, REPORTER)
    assert "approves and publishes" in _row(page, EDITOR)
    assert "staff accounts" in _row(page, ADMIN)
    assert "bank transfers" in _row(page, FUNDRAISING)
    # Wagtail's own default groups are not there on a new install (news migration 0006).
    assert not re.search(r">\s*(Moderators|Editors)\s*<", page)


def test_group_edit_page_says_what_the_group_is_for(superuser_client):
    from django.contrib.auth.models import Group

    editor = Group.objects.get(name=EDITOR)
    page = superuser_client.get(f"/admin/groups/edit/{editor.pk}/").content.decode()
    assert "data-group-description" in page and "approves and publishes" in page
    other = Group.objects.create(name="Interns")
    page = superuser_client.get(f"/admin/groups/edit/{other.pk}/").content.decode()
    assert "data-group-description" not in page  # staff's own groups: no invented line


def test_descriptions_are_in_russian_too(superuser_client, superuser):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(superuser)
    profile.preferred_language = "ru"
    profile.save()
    page = superuser_client.get("/admin/groups/").content.decode()
    assert "не может публиковать" in _row(page, REPORTER)
