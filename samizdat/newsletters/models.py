"""Newsletters and their subscribers (issue 11, first stage).

A subscriber's address is encrypted with the donor keys and found by the same
blind index (core/crypto.py), so a supporter's "delete everything" and key
rotation reach it through the personal-data registry (personal_data.py).
No IP address is stored: consent is a time and the form it came from.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from samizdat.core.crypto import EncryptedEmailField, blind_index


class Newsletter(models.Model):
    class Cadence(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        OCCASIONAL = "occasional", _("Occasionally")

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default="en")
    description = models.TextField(_("description"), blank=True)
    cadence = models.CharField(_("frequency"), max_length=16, choices=Cadence.choices,
                               default=Cadence.WEEKLY)
    sender_name = models.CharField(_("sender name"), max_length=120, blank=True)
    sender_address = models.EmailField(
        _("sender address"), blank=True,
        help_text=_("Leave empty to send from the site's default address."))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    discreet = models.BooleanField(
        _("discreet mode"), default=False,
        help_text=_("Send with a neutral sender and subject, so the message does not "
                    "reveal the publication to someone looking over a reader's shoulder."))
    active = models.BooleanField(_("open for sign-ups"), default=True)

    class Meta:
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")
        ordering = ["language", "name"]

    def __str__(self):
        return self.name


class Subscriber(models.Model):
    """One e-mail address, known to the site only encrypted and by its blind index."""

    email = EncryptedEmailField(_("e-mail"), max_length=254, db_column="email_ciphertext")
    email_index = models.CharField(max_length=64, unique=True, editable=False)
    language = models.CharField(_("language"), max_length=8, default="en")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # SHA-256 of the single-use confirmation link's token (a dump holds no usable link).
    confirm_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self):
        return f"subscriber {self.pk}"

    def save(self, *args, **kwargs):
        self.email_index = blind_index(self.email)
        super().save(*args, **kwargs)


class Subscription(models.Model):
    """A subscriber's consent to one newsletter: pending until the e-mailed link is used."""

    class Source(models.TextChoices):
        PAGE = "page", _("Newsletters page")
        FOOTER = "footer", _("Footer form")
        SELF_SERVICE = "self-service", _("Self-service page")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE,
                                   related_name="subscriptions")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE,
                                   related_name="subscriptions")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    requested = models.DateTimeField(_("requested"), auto_now_add=True)
    confirmed = models.DateTimeField(_("consent given"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [models.UniqueConstraint(fields=["subscriber", "newsletter"],
                                               name="newsletters_one_subscription")]

    def __str__(self):
        state = "confirmed" if self.confirmed else "pending"
        return f"{self.newsletter} ({state})"


def no_line_breaks(value):
    """A subject reaches a mail header: a line break there would inject headers."""
    if "\n" in value or "\r" in value:
        raise ValidationError(_("Line breaks are not allowed here."))


class Issue(models.Model):
    """One issue of a newsletter: an article from the site in full, or free text.

    Sending creates one Delivery per confirmed subscription first (sending.py), so a
    send that stops half-way resumes with the readers left and nobody twice."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="issues",
                                   verbose_name=_("newsletter"))
    subject = models.CharField(_("subject"), max_length=200, validators=[no_line_breaks],
                               help_text=_("Not shown in discreet mode: readers see a "
                                           "neutral subject instead."))
    article = models.ForeignKey(
        "news.ArticlePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("article"),
        help_text=_("Sent in full: title, standfirst, text and images."))
    body = models.TextField(_("text"), blank=True,
                            help_text=_("Plain text, sent before the article (or alone)."))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.DRAFT, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-created"]
        permissions = [("send_issue", _("Can send an issue to subscribers"))]

    def __str__(self):
        return self.subject

    def clean(self):
        if self.article_id is None and not self.body.strip():
            raise ValidationError(_("Choose an article or write some text."))
        if self.article_id is not None and not self.article.live:
            raise ValidationError({"article": _("Choose a published article: a draft is "
                                                "not sent to readers.")})


class Delivery(models.Model):
    """One issue to one subscription. Claimed before the message goes to the mail server
    and marked sent once the server accepted it; a claim older than the lease is taken
    over (docs/newsletters.md says which window can repeat one message)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="deliveries")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["issue", "subscription"],
                                               name="newsletters_one_delivery")]
        indexes = [models.Index(fields=["issue", "sent_at"])]

    def __str__(self):
        return f"issue {self.issue_id} to subscription {self.subscription_id}"
