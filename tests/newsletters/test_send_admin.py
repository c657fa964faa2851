"""The Send action in the Wagtail admin: only staff with the permission see and use it;
the send itself goes through the task queue."""

import re

import pytest
from django.contrib.auth.models import Permission

from samizdat.newsletters import sending
from samizdat.newsletters.models import Issue, Newsletter, Subscriber, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    from django.utils import timezone

    weekly = Newsletter.objects.create(name="Weekly", sender_address="news@samizdat.example")
    subscriber = Subscriber.objects.create(email="reader@example.org")
    Subscription.objects.create(subscriber=subscriber, newsletter=weekly, source="page",
                                confirmed=timezone.now())
    return Issue.objects.create(newsletter=weekly, subject="This week", body="Hello readers.")


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())


def editor(django_user_model, client, settings, *codenames):
    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    user = django_user_model.objects.create_user(username="ed", password="x")
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["access_admin", "view_issue", *codenames]))
    client.force_login(user)
    return client


def test_staff_with_the_permission_send_from_the_admin(client, django_user_model, settings,
                                                       issue, mailoutbox):
    staff = editor(django_user_model, client, settings, "send_issue", "add_issue")
    assert staff.get("/admin/snippets/newsletters/issue/add/").status_code == 200
    listing = staff.get("/admin/snippets/newsletters/issue/").content.decode()
    url = f"/admin/newsletters/issues/{issue.pk}/send/"
    assert url in listing
    page = staff.get(url).content.decode()
    assert "It will go to 1 confirmed subscriber." in page
    assert "Hello readers." in page  # the plain-text part, previewed before sending
    response = staff.post(url)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert [m.to for m in mailoutbox] == [["reader@example.org"]]
    assert "Sent 1 of 1; 0 left." in staff.get(url).content.decode()
    listing = staff.get("/admin/snippets/newsletters/issue/").content.decode()
    assert re.search(r"<td[^>]*>\s*1\s*</td>\s*<td[^>]*>\s*1\s*</td>", listing)
    staff.post(url)  # pressing Send again sends nothing
    assert len(mailoutbox) == 1


def test_staff_without_the_permission_cannot_send(client, django_user_model, settings, issue,
                                                  mailoutbox):
    staff = editor(django_user_model, client, settings)
    url = f"/admin/newsletters/issues/{issue.pk}/send/"
    assert url not in staff.get("/admin/snippets/newsletters/issue/").content.decode()
    refused = staff.post(url)  # Wagtail turns the refusal into a redirect with a message
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and mailoutbox == []


def test_an_issue_needs_an_article_or_text(issue):
    from django.core.exceptions import ValidationError

    empty = Issue(newsletter=issue.newsletter, subject="Empty")
    with pytest.raises(ValidationError):
        empty.full_clean()
    injected = Issue(newsletter=issue.newsletter, subject="Hi\nBcc: x@example.org", body="x")
    with pytest.raises(ValidationError):
        injected.full_clean()
