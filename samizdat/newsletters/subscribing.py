"""Double opt-in: a request stores pending subscriptions and e-mails a single-use link;
nothing else is sent until the link is used. Every request gets the same answer, so the
form never tells whether an address is new, pending or subscribed."""

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from samizdat.core.crypto import blind_index
from samizdat.support.api import allow, client_key

from .models import Subscriber, Subscription

logger = logging.getLogger(__name__)

PENDING_DAYS = 7


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def client_allowed(request):
    """Sign-ups per client (a keyed hash in the cache only), sized so a Tor exit or shared
    VPN is slowed, never shut out: the window passes and the count starts again."""
    maximum, window = getattr(settings, "NEWSLETTERS_CLIENT_LIMIT", (30, 3600))
    return allow("newsletter-client", client_key(request), maximum, window)


def address_allowed(email):
    """Confirmation e-mails per address, so nobody can flood someone else's inbox."""
    maximum, window = getattr(settings, "NEWSLETTERS_ADDRESS_LIMIT", (3, 86400))
    return allow("newsletter-address", blind_index(email), maximum, window)


def request_subscription(email, newsletters, source, language, base_url):
    """Record pending subscriptions and send one confirmation link; True if a message
    was sent. Addresses already subscribed to every chosen newsletter get nothing."""
    with transaction.atomic():
        subscriber = Subscriber.objects.filter(email_index=blind_index(email)).first()
        if subscriber is None:
            subscriber = Subscriber.objects.create(email=email, language=language)
        pending = []
        for newsletter in newsletters:
            subscription, _created = Subscription.objects.get_or_create(
                subscriber=subscriber, newsletter=newsletter, defaults={"source": source})
            if subscription.confirmed is None:
                pending.append(subscription)
        if not pending or not address_allowed(email):
            return False
        token = secrets.token_urlsafe(32)
        subscriber.confirm_hash = token_hash(token)
        subscriber.save(update_fields=["confirm_hash", "email_index"])
    return _mail_link(email, token, [s.newsletter for s in pending], language, base_url)


def ask_again(subscriber_id, base_url):
    """An imported reader who must opt in again: one confirmation link for their pending
    subscriptions (importing.py queues this after the import committed)."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None or subscriber.suppressed:
            return False
        pending = list(subscriber.subscriptions.filter(confirmed__isnull=True)
                       .select_related("newsletter"))
        if not pending:
            return False
        token = secrets.token_urlsafe(32)
        subscriber.confirm_hash = token_hash(token)
        subscriber.save(update_fields=["confirm_hash", "email_index"])
    return _mail_link(subscriber.email, token, [s.newsletter for s in pending],
                      subscriber.language, base_url)


def _mail_link(email, token, newsletters, language, base_url):
    with translation.override(language):
        path = reverse("newsletters:confirm", args=[token])
        context = {"url": base_url.rstrip("/") + path, "newsletters": newsletters,
                   "days": PENDING_DAYS}
        message = EmailMessage(
            subject=render_to_string("newsletters/email/confirm_subject.txt", context).strip(),
            body=render_to_string("newsletters/email/confirm.txt", context),
            to=[email],
        )
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.warning("newsletter confirmation not sent", exc_info=False)
        return False
    return True


def confirm(token, now=None):
    """Use a confirmation link once: its pending subscriptions become confirmed."""
    now = now or timezone.now()
    with transaction.atomic():
        subscriber = (Subscriber.objects.select_for_update()
                      .filter(confirm_hash=token_hash(token)).first())
        if subscriber is None:
            return None
        subscriber.subscriptions.filter(confirmed__isnull=True).update(confirmed=now)
        subscriber.confirm_hash = ""
        subscriber.save(update_fields=["confirm_hash", "email_index"])
    return subscriber


def purge_unconfirmed(now=None):
    """Forget requests nobody confirmed within PENDING_DAYS, and addresses left with none."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=PENDING_DAYS)
    removed, _ = Subscription.objects.filter(confirmed__isnull=True,
                                             requested__lt=cutoff).delete()
    Subscriber.objects.filter(subscriptions__isnull=True, created__lt=cutoff).delete()
    return removed
