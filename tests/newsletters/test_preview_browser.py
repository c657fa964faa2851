"""The issue's HTML preview in Chromium: the readers' HTML shows in the Send page's frame,
in a sandbox with no origin of its own (so not the admin's), and nothing breaks the
policies of either page."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from tests.support.browsing import watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_preview_frame_shows_the_issue_in_a_sandbox(
    browser, live_server, settings, django_user_model
):
    from samizdat.newsletters.models import Issue, Newsletter, Subscriber, Subscription

    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    weekly = Newsletter.objects.create(name="Weekly", sender_address="news@samizdat.example")
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(email="r@example.org"),
        newsletter=weekly,
        source="page",
        confirmed=timezone.now(),
    )
    issue = Issue.objects.create(
        newsletter=weekly, subject="This week", body="Hello readers.\n\nSecond paragraph."
    )
    user = django_user_model.objects.create_user(
        username="ed", password="x", email="ed@samizdat.example"
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_issue", "send_issue"])
    )
    client = Client()
    client.force_login(user)
    host = urlsplit(live_server.url).hostname
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    violations, hosts = watch(page)
    page.goto(f"{live_server.url}/admin/newsletters/issues/{issue.pk}/send/")
    frame_box = page.frame_locator("#issue-html-preview")
    assert frame_box.get_by_text("Hello readers.").is_visible()
    assert frame_box.get_by_role("link", name="Unsubscribe").is_visible()
    frame = next(f for f in page.frames if re.search(r"/preview/$", f.url))
    assert frame.evaluate("window.origin") == "null"  # sandboxed: not the admin's origin
    assert violations == []
    assert hosts == {urlsplit(live_server.url).netloc}
    context.close()
