"""The newsletters part of the reader's self-service page (core/selfservice.py).

The page, its e-mailed single-use link and its "download my data" and "delete
everything" belong to support; a reader who only gets newsletters reaches the
same page by asking for a link on /newsletters/manage/. A signed-in reader
proved the address by opening the link, so a newsletter chosen here is
confirmed at once (source "self-service").
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samizdat.core.selfservice import Section

from . import counts
from .models import Newsletter, Subscriber, Subscription


class SelfServiceError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def subscriber_for(email_index):
    return Subscriber.objects.filter(email_index=email_index or "-").first()


def choices_for(subscriber):
    """Newsletters the reader may pick: the open ones and any they already get."""
    query = Q(active=True)
    if subscriber is not None:
        query |= Q(subscriptions__subscriber=subscriber)
    return Newsletter.objects.filter(query).distinct().order_by("language", "name")


class NewsletterSection(Section):
    name = "newsletters"
    template_name = "newsletters/selfservice/section.html"

    def address(self, email_index):
        subscriber = Subscriber.objects.filter(
            email_index=email_index or "-", suppressed="", subscriptions__confirmed__isnull=False
        ).first()
        return subscriber.email if subscriber is not None else None

    def context(self, request, email_index):
        subscriber = subscriber_for(email_index)
        chosen = set()
        if subscriber is not None:
            chosen = set(
                subscriber.subscriptions.filter(confirmed__isnull=False).values_list(
                    "newsletter_id", flat=True
                )
            )
        return {
            "rows": [(n, n.pk in chosen) for n in choices_for(subscriber)],
            "subscriber": subscriber,
            "languages": settings.LANGUAGES,
        }


def update(email_index, newsletters, paused, language, address=None, now=None):
    """Save the reader's choices; returns the Subscriber, or None if they chose no
    newsletter (then no row is kept). `address` is needed only for a reader who has no
    Subscriber row yet (a supporter subscribing from the page)."""
    now = now or timezone.now()
    if language not in dict(settings.LANGUAGES):
        raise SelfServiceError(_("Choose one of the languages offered."))
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(email_index=email_index or "-").first()
        )
        if subscriber is None:
            if not newsletters:
                return None
            if not address:
                raise SelfServiceError(_("Your session has ended. Ask for a new link."))
            subscriber = Subscriber.objects.create(email=address, language=language)
        if subscriber.suppressed:
            raise SelfServiceError(
                _(
                    "Mail to this address could not be delivered or was "
                    "reported as unwanted, so we send it nothing. Write to "
                    "us if that was a mistake."
                )
            )
        wanted = {n.pk for n in newsletters}
        leaving = subscriber.subscriptions.exclude(newsletter_id__in=wanted)
        left = list(leaving.filter(confirmed__isnull=False).values_list("pk", flat=True))
        if left:
            counts.add(counts.latest_issue_of(left), "unsubscribed")
        leaving.delete()
        for newsletter in newsletters:
            subscription, created = Subscription.objects.get_or_create(
                subscriber=subscriber,
                newsletter=newsletter,
                defaults={"source": Subscription.Source.SELF_SERVICE, "confirmed": now},
            )
            if not created and subscription.confirmed is None:
                subscription.confirmed = now
                subscription.save(update_fields=["confirmed"])
        if not wanted:
            subscriber.delete()
            return None
        subscriber.paused = paused
        subscriber.language = language
        subscriber.save(update_fields=["paused", "language", "email_index"])
    return subscriber
