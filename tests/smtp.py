"""A real SMTP server on loopback (aiosmtpd) that Django's SMTP backend sends to: the
receipts, sign-in links and newsletters tests read what a mail client would get."""

import email
import email.policy
import threading

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
