"""Demo newsletters for `make demo` (newsletters' AppConfig.load_demo). Idempotent."""

import datetime

from django.conf import settings
from django.utils import timezone

from .models import Delivery, Issue, IssueArticle, Newsletter, Subscriber, Subscription

DEMO_READERS = ["anna.demo@example.org", "boris.demo@example.org", "chen.demo@example.org"]


def load():
    from samizdat.news.models import ArticlePage

    demos = [
        (
            "en",
            "The Northern Ledger Weekly",
            "The week's most important stories, in full, every Friday.",
            "weekly",
            False,
            None,
        ),
        (
            "ru",
            "Северный вестник: дайджест",
            "Главное за неделю целиком, по пятницам. Нейтральная тема письма.",
            "weekly",
            True,
            None,
        ),
        (
            "en",
            "The Northern Ledger Daily",
            "Yesterday's stories in full, every morning at seven. Mirror links included.",
            "daily",
            False,
            datetime.time(7, 0),
        ),
    ]
    for language, name, description, cadence, discreet, digest_time in demos:
        Newsletter.objects.get_or_create(
            name=name,
            defaults={
                "language": language,
                "description": description,
                "cadence": cadence,
                "discreet": discreet,
                "digest_time": digest_time,
                "time_zone": settings.TIME_ZONE,
            },
        )
    daily = Newsletter.objects.get(name="The Northern Ledger Daily")
    now = timezone.now()
    subscriptions = []
    for address in DEMO_READERS:
        subscriber = Subscriber.objects.filter(email_index=_index(address)).first()
        if subscriber is None:
            subscriber = Subscriber.objects.create(email=address)
        subscription, _created = Subscription.objects.get_or_create(
            subscriber=subscriber,
            newsletter=daily,
            defaults={"source": Subscription.Source.PAGE, "confirmed": now},
        )
        subscriptions.append(subscription)
    if not daily.issues.exists():
        english = list(
            ArticlePage.objects.live()
            .filter(locale__language_code="en")
            .order_by("-first_published_at")[:4]
        )
        for days_ago, picked in ((2, english[2:4]), (1, english[0:2])):
            if not picked:
                continue
            sent_at = now - datetime.timedelta(days=days_ago)
            issue = Issue.objects.create(
                newsletter=daily,
                subject=f"The Northern Ledger Daily: sample issue {3 - days_ago}",
                body="Good morning. Here are the stories our readers shared most.",
                article=picked[0],
                status=Issue.Status.SENT,
                sent_at=sent_at,
            )
            IssueArticle.objects.bulk_create(
                IssueArticle(issue=issue, article=a, sort_order=n) for n, a in enumerate(picked[1:])
            )
            Delivery.objects.bulk_create(
                Delivery(issue=issue, subscription=s, claimed_at=sent_at, sent_at=sent_at)
                for s in subscriptions
            )
    return (
        "Demo newsletters ready: "
        + ", ".join(d[1] for d in demos)
        + f" (the daily one has {len(DEMO_READERS)} demo subscribers and a digest at "
        f"07:00 {settings.TIME_ZONE}; `manage.py send_newsletters --digest-now` "
        "sends one at once)."
    )


def _index(address):
    from samizdat.core.crypto import blind_index

    return blind_index(address)
