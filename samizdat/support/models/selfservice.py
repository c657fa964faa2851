"""Supporters' password-less access, and how e-mails to them look."""

import hashlib
import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

__all__ = ["ManageLink", "SupporterEmailSettings"]

LINK_LIFETIME = timedelta(hours=1)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ManageLinkQuerySet(models.QuerySet):
    def issue(self, email_index, now=None):
        """A new link for the address with this blind index; returns (link, raw token).

        Neither the address nor the token is stored: only the address's keyed
        hash (support/crypto.py) and the token's SHA-256.
        """
        now = now or timezone.now()
        # Links are no record worth keeping: forget them a day after expiry.
        self.filter(expires_at__lt=now - timedelta(days=1)).delete()
        token = secrets.token_urlsafe(32)
        link = self.create(
            email_index=email_index,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
        return link, token

    def redeem(self, token, now=None):
        """Mark the link used and return it, or None if unknown, used or expired.

        A conditional UPDATE makes redemption single-use even under races.
        """
        now = now or timezone.now()
        token_hash = hash_token(token or "")
        claimed = self.filter(token_hash=token_hash, used_at__isnull=True, expires_at__gt=now)
        if claimed.update(used_at=now) != 1:
            return None
        return self.get(token_hash=token_hash)

    def usable(self, token, now=None):
        now = now or timezone.now()
        return self.filter(
            token_hash=hash_token(token or ""), used_at__isnull=True, expires_at__gt=now
        ).exists()


class ManageLink(models.Model):
    """A single-use "manage my support" link, valid for an hour."""

    email_index = models.CharField(_("e-mail blind index"), max_length=64, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = ManageLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("manage-my-support link")

    def __str__(self):
        return f"link {self.pk} until {self.expires_at:%Y-%m-%d %H:%M}"


@register_setting(icon="mail")
class SupporterEmailSettings(BaseGenericSetting):
    """Receipts and notices to supporters; discreet mode for watched inboxes."""

    discreet = models.BooleanField(
        _("discreet e-mails"),
        default=False,
        help_text=_(
            "Send receipts and notices from a neutral sender with a neutral subject that do "
            "not name the outlet; amounts and details are shown only behind the link."
        ),
    )
    discreet_sender_name = models.CharField(
        _("neutral sender name"), max_length=80, default="Account notifications"
    )
    discreet_subject = models.CharField(
        _("neutral subject"), max_length=120, default="Your account update"
    )
    reply_to = models.EmailField(_("reply-to address"), blank=True)

    panels = [
        FieldPanel("reply_to"),
        MultiFieldPanel(
            [
                FieldPanel("discreet"),
                FieldPanel("discreet_sender_name"),
                FieldPanel("discreet_subject"),
            ],
            heading=_("Discreet e-mails"),
        ),
    ]

    class Meta:
        verbose_name = _("supporter e-mails")
