"""Automatic digests: a newsletter with a digest time sends itself the period's new
articles in its language — daily at that time, or weekly on its weekday — in its own
time zone, and skips a period with nothing new.

Exactly once per period: the digest issue carries the local date of its send time
(`Issue.digest_of`), unique per newsletter, so a job that runs twice or two workers
that race create one issue; the loser's INSERT fails and it does nothing. The issue
is created *scheduled* for that moment and sent by scheduling.send_due(), which
starts it under a row lock: a worker that dies between creating and sending leaves a
scheduled issue the next run sends.
"""

import datetime
import zoneinfo

from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from .models import Issue, IssueArticle, Newsletter

PERIOD_DAYS = {Newsletter.Cadence.DAILY: 1, Newsletter.Cadence.WEEKLY: 7}


def _at(day, newsletter, zone):
    """`day` at the digest time, as an aware moment (wall-clock time: DST moves it)."""
    moment = datetime.datetime.combine(day, newsletter.digest_time, tzinfo=zone)
    # A time skipped by a DST change (02:30 in spring) is normalised to a real instant.
    return moment.astimezone(datetime.UTC).astimezone(zone)


def latest_period(newsletter, now=None):
    """(start, send time, local date) of the newest period whose send time has passed,
    or None when the newsletter sends no digests."""
    days = PERIOD_DAYS.get(newsletter.cadence)
    if newsletter.digest_time is None or days is None:
        return None
    zone = zoneinfo.ZoneInfo(newsletter.time_zone)
    local = (now or timezone.now()).astimezone(zone)
    day = local.date()
    if days == 7:
        day -= datetime.timedelta(days=(day.weekday() - newsletter.digest_weekday) % 7)
    if _at(day, newsletter, zone) > local:
        day -= datetime.timedelta(days=days)
    start_day = day - datetime.timedelta(days=days)
    return _at(start_day, newsletter, zone), _at(day, newsletter, zone), day


def articles_between(newsletter, start, end):
    from samizdat.news.models import ArticlePage

    return list(
        ArticlePage.objects.live()
        .public()
        .filter(
            locale__language_code=newsletter.language,
            first_published_at__gt=start,
            first_published_at__lte=end,
        )
        .order_by("first_published_at", "pk")
    )


def digest_subject(newsletter, day):
    with translation.override(newsletter.language):
        return _("%(name)s: %(date)s") % {
            "name": newsletter.name,
            "date": formats.date_format(day, "DATE_FORMAT"),
        }


def create_digest(newsletter, now=None):
    """The digest issue of the latest period, scheduled for its send time; None if it
    exists already, nothing is new, or the newsletter sends no digests."""
    period = latest_period(newsletter, now)
    if period is None:
        return None
    start, end, day = period
    if Issue.objects.filter(newsletter=newsletter, digest_of=day).exists():
        return None
    articles = articles_between(newsletter, start, end)
    if not articles:
        return None
    try:
        with transaction.atomic():
            issue = Issue.objects.create(
                newsletter=newsletter,
                subject=digest_subject(newsletter, day),
                article=articles[0],
                full_text=True,
                digest_of=day,
                status=Issue.Status.SCHEDULED,
                scheduled_for=end,
            )
            IssueArticle.objects.bulk_create(
                IssueArticle(issue=issue, article=article, sort_order=n)
                for n, article in enumerate(articles[1:])
            )
    except IntegrityError:
        return None  # another run made this period's digest first
    return issue


def create_digest_now(newsletter, now=None):
    """A digest of the last day's (or week's) articles, scheduled for now, whatever the
    schedule says: `send_newsletters --digest-now` (the demo, or an operator who wants
    one today). It is not a period's digest, so the regular one still follows."""
    days = PERIOD_DAYS.get(newsletter.cadence, 1)
    now = now or timezone.now()
    articles = articles_between(newsletter, now - datetime.timedelta(days=days), now)
    if not articles:
        return None
    local_day = now.astimezone(zoneinfo.ZoneInfo(newsletter.time_zone)).date()
    with transaction.atomic():
        issue = Issue.objects.create(
            newsletter=newsletter,
            subject=digest_subject(newsletter, local_day),
            article=articles[0],
            full_text=True,
            status=Issue.Status.SCHEDULED,
            scheduled_for=now,
        )
        IssueArticle.objects.bulk_create(
            IssueArticle(issue=issue, article=article, sort_order=n)
            for n, article in enumerate(articles[1:])
        )
    return issue


def create_due_digests(now=None):
    newsletters = Newsletter.objects.filter(digest_time__isnull=False)
    made = (create_digest(newsletter, now) for newsletter in newsletters)
    return [issue for issue in made if issue is not None]
