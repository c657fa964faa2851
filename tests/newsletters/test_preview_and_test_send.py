# ruff: noqa: F811 - pytest fixtures (smtp_inbox) are imported, then named as arguments
"""Staff check an issue before it goes out: the HTML part exactly as readers get it, in a
sandboxed frame, and a test sent to their own address through a real SMTP server
(aiosmtpd), parsed with Python's email package, that touches no reader and no count."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from samizdat.newsletters import sending
from samizdat.newsletters.models import Delivery, Issue, Newsletter, Subscriber, Subscription
from samizdat.newsletters.render import render_content, sample_unsubscribe_url
from tests.smtp import parts, smtp_inbox  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    weekly = Newsletter.objects.create(
        name="Weekly", sender_name="Samizdat Weekly", sender_address="news@samizdat.example"
    )
    subscriber = Subscriber.objects.create(email="reader@example.org")
    Subscription.objects.create(
        subscriber=subscriber, newsletter=weekly, source="page", confirmed=timezone.now()
    )
    return Issue.objects.create(
        newsletter=weekly, subject="This week", body="Hello readers. <script>alert(1)</script>"
    )


def staff(django_user_model, settings, *codenames, email="editor@samizdat.example", client=None):
    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    user = django_user_model.objects.create_user(username="ed", password="x", email=email)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_issue", *codenames])
    )
    client = client or Client()
    client.force_login(user)
    return client


def send_page(issue):
    return f"/admin/newsletters/issues/{issue.pk}/send/"


def test_the_html_preview_is_the_readers_html_in_a_sandbox(django_user_model, settings, issue):
    client = staff(django_user_model, settings, "send_issue")
    page = client.get(send_page(issue)).content.decode()
    frame = re.search(r'<iframe[^>]*id="issue-html-preview"[^>]*>', page).group(0)
    assert 'sandbox=""' in frame
    src = re.search(r'src="([^"]+)"', frame).group(1)
    assert "Hello readers." in page  # the plain-text part is still shown too
    response = client.get(src)
    assert response.status_code == 200
    expected = render_content(issue).html.replace(
        "{{UNSUBSCRIBE}}", sample_unsubscribe_url(issue.newsletter)
    )
    assert response.content.decode() == expected
    assert "&lt;script&gt;" in expected and "<script" not in expected
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "script-src" not in policy and "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_without_the_permission_no_preview_and_no_test(
    django_user_model, settings, issue, smtp_inbox
):
    client = staff(django_user_model, settings)
    preview = client.get(f"/admin/newsletters/issues/{issue.pk}/preview/")
    assert (preview.status_code, preview["Location"]) == (302, "/admin/")
    refused = client.post(send_page(issue), {"action": "test"})
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert smtp_inbox.messages == []


def test_a_test_goes_to_the_staff_member_only_and_counts_nothing(
    django_user_model, settings, issue, smtp_inbox
):
    client = staff(django_user_model, settings, "send_issue")
    response = client.post(send_page(issue), {"action": "test"}, follow=True)
    assert "A test was sent to your account&#x27;s e-mail address." in response.content.decode()
    [message] = smtp_inbox.wait_for(1)
    assert [e.rcpt_tos for e in smtp_inbox.envelopes] == [["editor@samizdat.example"]]
    assert message["Subject"] == "[Test] This week"
    assert message["From"].addresses[0].display_name == "Samizdat Weekly"
    assert message["List-Unsubscribe"] is None
    text, html = parts(message)
    assert "Hello readers." in text
    readers_html = render_content(issue).html.replace(
        "{{UNSUBSCRIBE}}", sample_unsubscribe_url(issue.newsletter)
    )
    assert html.replace("\r\n", "\n").strip() == readers_html.replace("\r\n", "\n").strip()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and issue.sent_at is None
    assert Delivery.objects.count() == 0
    assert (issue.delivered_count, issue.bounced_count, issue.unsubscribed_count) == (0, 0, 0)
    assert sending.progress(issue) == {"total": 0, "sent": 0, "uncertain": 0, "pending": 0}


def test_staff_without_an_address_are_told_and_nothing_is_sent(
    django_user_model, settings, issue, smtp_inbox
):
    client = staff(django_user_model, settings, "send_issue", email="")
    assert "your account has no e-mail address" in client.get(send_page(issue)).content.decode()
    response = client.post(send_page(issue), {"action": "test"}, follow=True)
    assert "Your account has no e-mail address." in response.content.decode()
    assert smtp_inbox.messages == []


def test_the_test_needs_a_post_with_the_csrf_token(django_user_model, settings, issue, smtp_inbox):
    client = staff(
        django_user_model, settings, "send_issue", client=Client(enforce_csrf_checks=True)
    )
    assert client.get(send_page(issue), {"action": "test"}).status_code == 200
    assert client.post(send_page(issue), {"action": "test"}).status_code == 403
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(send_page(issue)).content.decode()
    ).group(1)
    assert (
        client.post(send_page(issue), {"action": "test", "csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert len(smtp_inbox.wait_for(1)) == 1
