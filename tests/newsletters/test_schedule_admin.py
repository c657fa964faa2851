"""Scheduling and cancelling from the issue's Send page in the Wagtail admin; the time
is read in the newsletter's time zone."""

import datetime

import pytest
import time_machine

from samizdat.newsletters.models import Issue
from tests.newsletters.test_send_admin import _run_on_commit, editor, issue  # noqa: F401

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 6, 10, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def staff(client, django_user_model, settings):
    return editor(django_user_model, client, settings, "send_issue")


def test_staff_schedule_then_cancel_a_send(staff, issue, mailoutbox):  # noqa: F811
    issue.newsletter.time_zone = "Asia/Tbilisi"  # UTC+4
    issue.newsletter.save()
    url = f"/admin/newsletters/issues/{issue.pk}/send/"
    with time_machine.travel(NOW, tick=False):
        staff.post(url, {"action": "schedule", "when": "2026-06-10T18:30"})
        issue.refresh_from_db()
        assert issue.status == Issue.Status.SCHEDULED
        assert issue.scheduled_for == datetime.datetime(2026, 6, 10, 14, 30,
                                                        tzinfo=datetime.UTC)
        page = staff.get(url).content.decode()
        assert "Scheduled for 2026-06-10 18:30 (Asia/Tbilisi)." in page
        staff.post(url, {"action": "cancel"})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and issue.scheduled_for is None
    assert mailoutbox == []


def test_a_bad_or_past_time_is_refused_and_changes_nothing(staff, issue):  # noqa: F811
    url = f"/admin/newsletters/issues/{issue.pk}/send/"
    with time_machine.travel(NOW, tick=False):
        for when in ("tomorrow", "2026-06-10T07:00", ""):
            response = staff.post(url, {"action": "schedule", "when": when}, follow=True)
            assert response.status_code == 200
            issue.refresh_from_db()
            assert issue.status == Issue.Status.DRAFT and issue.scheduled_for is None
        page = response.content.decode()
        assert "Choose a date and time." in page


def test_staff_without_the_permission_cannot_schedule(
        client, django_user_model, settings, issue):  # noqa: F811
    staff = editor(django_user_model, client, settings)
    with time_machine.travel(NOW, tick=False):
        staff.post(f"/admin/newsletters/issues/{issue.pk}/send/",
                   {"action": "schedule", "when": "2026-06-11T09:00"})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT




def test_staff_compose_an_issue_with_several_articles(client, django_user_model, settings):
    from samizdat.newsletters.models import Newsletter
    from tests.news.discovery_factories import author, newsroom, publish_article, section

    newsroom()
    first, second = (publish_article(section(), title, authors=[author("ana", "Ana")])
                     for title in ("First story", "Second story"))
    letter = Newsletter.objects.create(name="Weekly")
    staff = editor(django_user_model, client, settings, "add_issue", "change_issue")
    response = staff.post("/admin/snippets/newsletters/issue/add/", {
        "newsletter": letter.pk, "subject": "Two stories", "body": "", "article": first.pk,
        "full_text": "on",
        "more_articles-TOTAL_FORMS": "1", "more_articles-INITIAL_FORMS": "0",
        "more_articles-MIN_NUM_FORMS": "0", "more_articles-MAX_NUM_FORMS": "1000",
        "more_articles-0-article": second.pk, "more_articles-0-ORDER": "1",
        "more_articles-0-id": "", "more_articles-0-DELETE": "",
    })
    assert response.status_code == 302, response.content.decode()[-2000:]
    saved = Issue.objects.get(subject="Two stories")
    assert [a.title for a in saved.articles()] == ["First story", "Second story"]
    assert saved.full_text and saved.status == Issue.Status.DRAFT
