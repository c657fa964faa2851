"""The staff preview (?appeal-preview=) asks for the same verified session as the admin."""

import pytest

from .conftest import ARTICLE
from .test_pages import config, html_of, placements

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(demo_appeals, make_appeal):
    appeal = make_appeal("banner", priority=-5)
    appeal.unpublish()
    return appeal


def test_a_superuser_with_only_a_password_cannot_preview(client, django_user_model, draft):
    """The admin sends this session to the second-factor step; the preview must not
    show drafts and the reasons for every appeal to it either."""
    admin = django_user_model.objects.create_superuser(username="root", password="x")
    client.force_login(admin)  # password step only
    assert client.get("/admin/")["Location"].startswith("/admin/2fa/")

    html = html_of(client, f"{ARTICLE}?appeal-preview={draft.pk}:A")
    data = config(html)
    assert data["preview"] is None and data["debug"] == []
    assert (draft.pk, "banner") not in placements(html)


def test_the_same_superuser_previews_once_the_second_factor_is_passed(
    client, django_user_model, draft
):
    from samizdat.users.testing import login_with_second_factor

    admin = django_user_model.objects.create_superuser(username="root", password="x")
    login_with_second_factor(client, admin)
    html = html_of(client, f"{ARTICLE}?appeal-preview={draft.pk}:A")
    assert config(html)["preview"] == {"id": draft.pk, "variant": "A"}
    assert (draft.pk, "banner") in placements(html)


def test_staff_who_need_no_second_factor_preview_as_they_use_the_admin(
    client, django_user_model, draft, settings
):
    from django.contrib.auth.models import Permission

    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    editor = django_user_model.objects.create_user(username="ed", password="x")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200  # the admin lets this session in
    html = html_of(client, f"{ARTICLE}?appeal-preview={draft.pk}:A")
    assert config(html)["preview"] == {"id": draft.pk, "variant": "A"}
