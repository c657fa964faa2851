"""Automatic digests and scheduled issues, driven by the periodic job
(`manage.py send_newsletters`) with the clock moved by time-machine across time zones
and a DST change; messages arrive at a real SMTP server on loopback."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from samizdat.newsletters import digests, scheduling
from samizdat.newsletters.models import Issue, Newsletter
from tests.news.discovery_factories import author, newsroom, publish_article, section
from tests.newsletters.test_sending import _run_on_commit, subscribe  # noqa: F401
from tests.smtp import parts, smtp_inbox  # noqa: F401

pytestmark = pytest.mark.django_db
RIGA = ZoneInfo("Europe/Riga")
UTC = datetime.UTC


def at(zone, *args):
    return datetime.datetime(*args, tzinfo=zone)


@pytest.fixture
def site(db):
    newsroom()


def daily(name="Morning Brief", zone="Europe/Riga", language="en", hour=7):
    return Newsletter.objects.create(name=name, language=language, cadence="daily",
                                     digest_time=datetime.time(hour, 0), time_zone=zone)


def story(title, published_at, language="en"):
    return publish_article(section(language=language), title,
                           authors=[author("ana", "Ana")], published_at=published_at)


def run_job(moment):
    with time_machine.travel(moment, tick=False):
        call_command("send_newsletters", verbosity=0)


def test_the_daily_digest_goes_out_at_seven_local_time_with_the_days_articles(
        site, smtp_inbox):  # noqa: F811
    brief = daily()
    subscribe(brief, "reader@example.org")
    story("Yesterday before seven", at(RIGA, 2026, 6, 9, 6, 0))
    story("Evening news", at(RIGA, 2026, 6, 9, 21, 0))
    story("Early this morning", at(RIGA, 2026, 6, 10, 6, 30))
    story("After the digest", at(RIGA, 2026, 6, 10, 7, 30))
    # At 06:59 the newest period is yesterday's (07:00 to 07:00), still unsent.
    run_job(at(RIGA, 2026, 6, 10, 6, 59))
    [yesterday] = smtp_inbox.wait_for(1)
    assert "Yesterday before seven" in parts(yesterday)[0]
    run_job(at(RIGA, 2026, 6, 10, 7, 0, 20))
    message = smtp_inbox.wait_for(2)[1]
    text, html = parts(message)
    for part in (text, html):
        assert "Evening news" in part and "Early this morning" in part
        assert "Yesterday before seven" not in part and "After the digest" not in part
        assert part.index("Evening news") < part.index("Early this morning")
    assert "Morning Brief" in message["Subject"]
    issue = Issue.objects.get(digest_of=datetime.date(2026, 6, 10))
    assert issue.status == Issue.Status.SENT


def test_running_the_job_twice_sends_one_digest(site, smtp_inbox):  # noqa: F811
    brief = daily()
    subscribe(brief, "reader@example.org")
    story("Only story", at(RIGA, 2026, 6, 10, 5, 0))
    run_job(at(RIGA, 2026, 6, 10, 7, 1))
    run_job(at(RIGA, 2026, 6, 10, 7, 2))
    run_job(at(RIGA, 2026, 6, 10, 12, 0))
    smtp_inbox.wait_for(2, timeout=1)
    assert len(smtp_inbox.messages) == 1
    assert Issue.objects.count() == 1


def test_two_workers_racing_create_one_digest(site):
    """Both find no digest for today, both insert: the unique constraint lets one win."""
    brief = daily()
    story("Only story", at(RIGA, 2026, 6, 10, 5, 0))
    original_exists = digests.Issue.objects.filter
    made = []
    with time_machine.travel(at(RIGA, 2026, 6, 10, 7, 5), tick=False):
        period = digests.latest_period(brief)
        assert period is not None
        # The second worker passed the "exists?" check before the first one inserted.
        made.append(digests.create_digest(brief))
        Issue.objects.filter(pk=made[0].pk).update(subject="first")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(digests.Issue.objects, "filter",
                          lambda *a, **k: original_exists(pk__in=[]))
            made.append(digests.create_digest(brief))
    assert made[0] is not None and made[1] is None
    assert list(Issue.objects.values_list("subject", flat=True)) == ["first"]


def test_a_day_with_nothing_new_is_skipped(site, smtp_inbox):  # noqa: F811
    brief = daily()
    subscribe(brief, "reader@example.org")
    story("Monday's story", at(RIGA, 2026, 6, 8, 12, 0))
    run_job(at(RIGA, 2026, 6, 9, 7, 0, 30))  # Tuesday: Monday's story
    run_job(at(RIGA, 2026, 6, 10, 7, 0, 30))  # Wednesday: nothing new since Tuesday 07:00
    smtp_inbox.wait_for(2, timeout=1)
    assert len(smtp_inbox.messages) == 1
    assert list(Issue.objects.values_list("digest_of", flat=True)) == [datetime.date(2026, 6, 9)]


def test_each_newsletter_follows_its_own_time_zone(site):
    riga = daily("Riga Brief", "Europe/Riga")
    new_york = daily("New York Brief", "America/New_York")
    story("A story", at(UTC, 2026, 6, 9, 20, 0))
    # 05:00 UTC is 08:00 in Riga and 01:00 in New York.
    run_job(at(UTC, 2026, 6, 10, 5, 0))
    assert Issue.objects.filter(newsletter=riga).count() == 1
    assert not Issue.objects.filter(newsletter=new_york).exists()
    run_job(at(UTC, 2026, 6, 10, 11, 0))  # 07:00 in New York (EDT, UTC-4)
    assert Issue.objects.get(newsletter=new_york).digest_of == datetime.date(2026, 6, 10)


def test_the_send_time_follows_local_time_across_the_dst_change(site):
    """Riga moves its clocks forward on 29 March 2026: 07:00 is 05:00 UTC the day before
    and 04:00 UTC that day; the digest keeps to 07:00 on the wall clock."""
    brief = daily()
    story("Saturday story", at(RIGA, 2026, 3, 28, 1, 0))
    story("Night of the change", at(RIGA, 2026, 3, 29, 4, 30))
    run_job(at(UTC, 2026, 3, 28, 4, 30))  # 06:30 EET: not yet
    assert not Issue.objects.exists()
    run_job(at(UTC, 2026, 3, 28, 5, 0, 10))  # 07:00 EET
    run_job(at(UTC, 2026, 3, 29, 3, 59))  # 06:59 EEST: not yet
    assert Issue.objects.count() == 1
    run_job(at(UTC, 2026, 3, 29, 4, 0, 10))  # 07:00 EEST
    first, second = Issue.objects.order_by("digest_of")
    assert (first.digest_of, second.digest_of) == (datetime.date(2026, 3, 28),
                                                   datetime.date(2026, 3, 29))
    assert [a.title for a in second.articles()] == ["Night of the change"]
    # The period spanning the change is 23 hours long, from 07:00 to 07:00 local time.
    start, end, _day = digests.latest_period(brief, at(UTC, 2026, 3, 29, 4, 0, 10))
    assert end.astimezone(UTC) - start.astimezone(UTC) == datetime.timedelta(hours=23)


def test_a_weekly_digest_goes_out_on_its_weekday_with_the_weeks_articles(site):
    weekly = Newsletter.objects.create(name="Weekly", cadence="weekly", language="en",
                                       digest_time=datetime.time(9, 0), digest_weekday=4,
                                       time_zone="Europe/Riga")
    story("Last Friday morning", at(RIGA, 2026, 6, 5, 8, 0))
    story("Tuesday", at(RIGA, 2026, 6, 9, 12, 0))
    run_job(at(RIGA, 2026, 6, 11, 9, 30))  # Thursday: the newest week ended last Friday
    issue = Issue.objects.get(newsletter=weekly)
    assert issue.digest_of == datetime.date(2026, 6, 5)
    assert [a.title for a in issue.articles()] == ["Last Friday morning"]
    run_job(at(RIGA, 2026, 6, 12, 8, 59))  # Friday, before nine: nothing new is due
    assert Issue.objects.count() == 1
    run_job(at(RIGA, 2026, 6, 12, 9, 0, 30))
    issue = Issue.objects.get(newsletter=weekly, digest_of=datetime.date(2026, 6, 12))
    assert [a.title for a in issue.articles()] == ["Tuesday"]


def test_articles_in_other_languages_stay_out(site):
    daily(language="ru", name="Утренний выпуск")
    story("English story", at(RIGA, 2026, 6, 10, 5, 0))
    run_job(at(RIGA, 2026, 6, 10, 7, 1))
    assert not Issue.objects.exists()
    story("Русская новость", at(RIGA, 2026, 6, 11, 5, 0), language="ru")
    run_job(at(RIGA, 2026, 6, 11, 7, 1))
    assert [a.title for a in Issue.objects.get().articles()] == ["Русская новость"]


def test_a_scheduled_issue_is_sent_when_due_and_not_before(site, smtp_inbox):  # noqa: F811
    letter = Newsletter.objects.create(name="Letters", cadence="occasional")
    subscribe(letter, "reader@example.org")
    issue = Issue.objects.create(newsletter=letter, subject="Later", body="Hello.")
    with time_machine.travel(at(UTC, 2026, 6, 10, 8, 0), tick=False):
        scheduling.schedule(issue.pk, at(UTC, 2026, 6, 10, 12, 0))
    run_job(at(UTC, 2026, 6, 10, 11, 59))
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SCHEDULED and not smtp_inbox.messages
    run_job(at(UTC, 2026, 6, 10, 12, 0, 30))
    run_job(at(UTC, 2026, 6, 10, 12, 1, 30))
    smtp_inbox.wait_for(2, timeout=1)
    assert len(smtp_inbox.messages) == 1
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT


def test_a_cancelled_schedule_sends_nothing(site, smtp_inbox):  # noqa: F811
    letter = Newsletter.objects.create(name="Letters", cadence="occasional")
    subscribe(letter, "reader@example.org")
    issue = Issue.objects.create(newsletter=letter, subject="Later", body="Hello.")
    with time_machine.travel(at(UTC, 2026, 6, 10, 8, 0), tick=False):
        scheduling.schedule(issue.pk, at(UTC, 2026, 6, 10, 12, 0))
    assert scheduling.cancel(issue.pk)
    run_job(at(UTC, 2026, 6, 10, 13, 0))
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and issue.scheduled_for is None
    assert not smtp_inbox.wait_for(1, timeout=0.5)
    assert not scheduling.cancel(issue.pk)  # nothing left to cancel


def test_a_time_in_the_past_or_a_sent_issue_cannot_be_scheduled(site):
    letter = Newsletter.objects.create(name="Letters", cadence="occasional")
    issue = Issue.objects.create(newsletter=letter, subject="Later", body="Hello.")
    with time_machine.travel(at(UTC, 2026, 6, 10, 8, 0), tick=False):
        with pytest.raises(scheduling.NotSchedulable):
            scheduling.schedule(issue.pk, at(UTC, 2026, 6, 10, 7, 0))
        Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENT)
        with pytest.raises(scheduling.NotSchedulable):
            scheduling.schedule(issue.pk, at(UTC, 2026, 6, 10, 9, 0))
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and issue.scheduled_for is None


