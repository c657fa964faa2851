"""Fixtures for the supporter-facing services: a real SMTP server on loopback."""

import email
import email.policy
import re
import threading
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """Collects every message the SMTP server receives, parsed."""

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.envelopes.append(envelope)
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count, timeout=10):
        """Block until `count` messages arrived (SMTP hands over before returning)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return self.messages


@pytest.fixture
def smtp_inbox(settings):
    """A real aiosmtpd server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    from tests.conftest import free_port

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def parts(message):
    """(plain text, html) bodies of a received multipart/alternative message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


# --- Money rows, built the way the ledger writes them ----------------------------------

_counter = iter(range(1, 10**9))


def make_supporter(email):
    from samizdat.support.models import Supporter

    return Supporter.objects.create(email=email)


def make_event(provider="demo", subject=None, type="test.event", occurred_at=None):
    from django.utils import timezone

    from samizdat.support.models import Contribution, ProviderEvent

    kwargs = {}
    if isinstance(subject, Contribution):
        kwargs["contribution"] = subject
    elif subject is not None:
        kwargs["pledge"] = subject
    return ProviderEvent.objects.create(
        provider=provider,
        event_id=f"evt_test_{next(_counter)}",
        type=type,
        payload={},
        occurred_at=occurred_at or timezone.now(),
        outcome="applied",
        **kwargs,
    )


def make_entry(subject, amount_minor=None, kind="payment", occurred_at=None):
    from django.utils import timezone

    from samizdat.support.models import Contribution, LedgerEntry

    occurred_at = occurred_at or timezone.now()
    if amount_minor is None:
        amount_minor = subject.amount_minor if kind == "payment" else -subject.amount_minor
    field = "contribution" if isinstance(subject, Contribution) else "pledge"
    return LedgerEntry.objects.create(
        kind=kind,
        amount_minor=amount_minor,
        currency=subject.currency,
        event=make_event(subject.provider, subject, occurred_at=occurred_at),
        provider=subject.provider,
        provider_ref=f"ref_{next(_counter)}",
        occurred_at=occurred_at,
        **{field: subject},
    )


def make_gift(email="reader@example.org", amount_minor=2500, currency="USD", language="en",
              paid_at=None, provider="demo"):
    """A paid one-off gift with its ledger payment."""
    from django.utils import timezone

    from samizdat.support.models import Contribution

    paid_at = paid_at or timezone.now()
    gift = Contribution.objects.create(
        supporter=make_supporter(email) if email else None,
        provider=provider,
        status="paid",
        amount_minor=amount_minor,
        currency=currency,
        language=language,
        paid_at=paid_at,
    )
    entry = make_entry(gift, occurred_at=paid_at)
    return gift, entry


def make_pledge(email="reader@example.org", amount_minor=500, currency="USD",
                frequency="monthly", status="active", language="en", provider="demo",
                activated_at=None, canceled_at=None, with_payment=True):
    from django.utils import timezone

    from samizdat.support.models import Pledge, Supporter

    supporter = Supporter.objects.with_email(email).first() or make_supporter(email)
    pledge = Pledge.objects.create(
        supporter=supporter,
        provider=provider,
        status=status,
        amount_minor=amount_minor,
        currency=currency,
        frequency=frequency,
        language=language,
        subscription_ref=f"sub_{next(_counter)}",
        activated_at=activated_at or timezone.now(),
        canceled_at=canceled_at,
    )
    entry = make_entry(pledge, occurred_at=pledge.activated_at) if with_payment else None
    return pledge, entry


@pytest.fixture
def outlet(db):
    """The default site's outlet settings, with a legal name and address."""
    from wagtail.models import Site

    from samizdat.news.models import OutletSettings

    site = Site.objects.get(is_default_site=True)
    settings_obj = OutletSettings.for_site(site)
    settings_obj.name = "The Free Courier"
    settings_obj.legal_name = "Free Courier Media SIA"
    settings_obj.postal_address = "Brivibas iela 1\nRiga LV-1010\nLatvia"
    settings_obj.save()
    return settings_obj


def watch(page):
    """Collect the page's CSP violations and the hosts of all its requests."""
    violations, hosts = [], set()
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    return violations, hosts


def follow_manage_link(page, base_url, mailoutbox):
    """Open the last e-mailed 'manage my support' link and press its sign-in button;
    returns the link's path."""
    path = urlsplit(re.search(r"https?://\S+/support/manage/link/\S+/", mailoutbox[-1].body)
                    .group(0)).path
    page.goto(f"{base_url}{path}")
    page.get_by_role("button", name="Continue to my support").click()
    return path
