"""Newsletters and their subscribers (issue 11, first stage).

A subscriber's address is encrypted with the donor keys and found by the same
blind index (core/crypto.py), so a supporter's "delete everything" and key
rotation reach it through the personal-data registry (personal_data.py).
No IP address is stored: consent is a time and the form it came from.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from samizdat.core.crypto import EncryptedEmailField, blind_index, decrypt, encrypt

# Paths below /newsletters/ that are not archives (newsletters/urls.py).
RESERVED_SLUGS = {"confirm", "unsubscribe", "manage", "import", "bounces", "webhooks",
                  "anymail", "rss", "atom", "subscribe"}


def not_reserved(value):
    if value in RESERVED_SLUGS:
        raise ValidationError(_("This address is used by the site; choose another."))

# Every character at which a header could be split into another header: CR, LF, NUL and
# the other line boundaries of str.splitlines (a mail library may fold or split there).
LINE_BREAKS = frozenset("\r\n\0\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def has_line_break(value):
    return any(char in LINE_BREAKS for char in value or "")


def no_line_breaks(value):
    """A name or subject reaches a mail header: a line break there would inject headers."""
    if has_line_break(value):
        raise ValidationError(_("Line breaks are not allowed here."))


class Newsletter(models.Model):
    class Cadence(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        OCCASIONAL = "occasional", _("Occasionally")

    name = models.CharField(_("name"), max_length=120, validators=[no_line_breaks])
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default="en")
    description = models.TextField(_("description"), blank=True)
    cadence = models.CharField(_("frequency"), max_length=16, choices=Cadence.choices,
                               default=Cadence.WEEKLY)
    sender_name = models.CharField(_("sender name"), max_length=120, blank=True,
                                   validators=[no_line_breaks])
    sender_address = models.EmailField(
        _("sender address"), blank=True,
        help_text=_("Leave empty to send from the site's default address."))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    discreet = models.BooleanField(
        _("discreet mode"), default=False,
        help_text=_("Send with a neutral sender and subject, so the message does not "
                    "reveal the publication to someone looking over a reader's shoulder."))
    active = models.BooleanField(_("open for sign-ups"), default=True)
    slug = models.SlugField(
        _("slug"), max_length=80, unique=True, blank=True, validators=[not_reserved],
        help_text=_("The archive's address: /newsletters/<slug>/. Filled from the name "
                    "when left empty."))

    class MirrorLinks(models.TextChoices):
        BESIDE = "beside", _("Each link to the site, followed by the same page on a mirror")
        INSTEAD = "instead", _("Links go to the mirror instead of the site")

    mirror_links = models.CharField(
        _("mirror links"), max_length=8, choices=MirrorLinks.choices,
        default=MirrorLinks.BESIDE,
        help_text=_("The mirror is the freshest active web mirror when the issue is sent."))
    digest_time = models.TimeField(
        _("send a digest at"), null=True, blank=True,
        help_text=_("Leave empty to send issues by hand. When set, a daily newsletter "
                    "sends the day's new articles in its language at this time, a weekly "
                    "one the week's, on the chosen weekday; a period with nothing new is "
                    "skipped."))
    digest_weekday = models.PositiveSmallIntegerField(
        _("weekday of a weekly digest"), default=4,
        choices=[(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")),
                 (3, _("Thursday")), (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))])
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC",
        help_text=_("For the digest time, e.g. Europe/Riga."))

    class Meta:
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")
        ordering = ["language", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"time_zone": _("Unknown time zone.")}) from exc
        if self.digest_time and self.cadence not in (self.Cadence.DAILY, self.Cadence.WEEKLY):
            raise ValidationError({"digest_time": _(
                "Automatic digests are daily or weekly: choose that frequency.")})

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self)
        super().save(*args, **kwargs)


def unique_slug(newsletter):
    """From the name (a Cyrillic name has no ASCII slug: then "newsletter")."""
    base = slugify(newsletter.name)[:70] or "newsletter"
    slug, n = base, 1
    while (slug in RESERVED_SLUGS
           or Newsletter.objects.filter(slug=slug).exclude(pk=newsletter.pk).exists()):
        n += 1
        slug = f"{base}-{n}"
    return slug


class Subscriber(models.Model):
    """One e-mail address, known to the site only encrypted and by its blind index."""

    email = EncryptedEmailField(_("e-mail"), max_length=254, db_column="email_ciphertext")
    email_index = models.CharField(max_length=64, unique=True, editable=False)
    language = models.CharField(_("language"), max_length=8, default="en")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # SHA-256 of the single-use confirmation link's token (a dump holds no usable link).
    confirm_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # The reader's own choice on the self-service page: nothing is sent while paused.
    paused = models.BooleanField(_("paused"), default=False)
    # Set when the address hard-bounced or its owner complained (bounces.py): nothing is
    # sent to it again. Erased with the subscriber, like everything else about them.
    suppressed = models.CharField(_("suppressed"), max_length=16, blank=True, editable=False)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        permissions = [("import_subscribers", _("Can import a list of subscribers"))]

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
        IMPORT = "import", _("Imported list")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE,
                                   related_name="subscriptions")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE,
                                   related_name="subscriptions")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    requested = models.DateTimeField(_("requested"), auto_now_add=True)
    confirmed = models.DateTimeField(_("consent given"), null=True, blank=True)
    # For imported lists: where the consent was given (staff's words, e.g. "Mailchimp
    # sign-up form, 2024"), since the import itself is not the reader's consent.
    consent_note = models.CharField(_("consent source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [models.UniqueConstraint(fields=["subscriber", "newsletter"],
                                               name="newsletters_one_subscription")]

    def __str__(self):
        state = "confirmed" if self.confirmed else "pending"
        return f"{self.newsletter} ({state})"


class Issue(ClusterableModel):
    """One issue of a newsletter: articles from the site (in full or as teasers) and
    free text.

    Sending creates one Delivery per confirmed subscription first (sending.py), so a
    send that stops half-way resumes with the readers left and nobody twice. A sent
    issue is public: the newsletter's archive on the site shows it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
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
    full_text = models.BooleanField(
        _("articles in full"), default=True,
        help_text=_("Readers who cannot open the site read everything in the e-mail. "
                    "Untick to send only each article's title, standfirst and links."))
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        limit_choices_to={"placement": "letter"}, verbose_name=_("appeal"),
        help_text=_("An end-of-article letter whose copy and amounts close the issue. "
                    "Supporters get a thank-you instead of the ask."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True,
                                         editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    # The local day (or week's first day) an automatic digest covers: one per period.
    digest_of = models.DateField(_("digest of"), null=True, blank=True, editable=False)

    # Counts only, never who (bounces.py): what the mail server and the sender's
    # webhooks told us about this issue.
    delivered_count = models.PositiveIntegerField(_("delivered"), default=0, editable=False)
    bounced_count = models.PositiveIntegerField(_("bounced"), default=0, editable=False)
    complained_count = models.PositiveIntegerField(_("complaints"), default=0, editable=False)
    unsubscribed_count = models.PositiveIntegerField(_("unsubscribed"), default=0,
                                                     editable=False)

    panels = [
        FieldPanel("newsletter"),
        FieldPanel("subject"),
        FieldPanel("body"),
        MultiFieldPanel([FieldPanel("article"), InlinePanel("more_articles",
                                                            label=_("more articles")),
                         FieldPanel("full_text")], heading=_("Articles")),
        FieldPanel("appeal"),
    ]

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-created"]
        permissions = [("send_issue", _("Can send an issue to subscribers"))]
        constraints = [models.UniqueConstraint(
            fields=["newsletter", "digest_of"], condition=models.Q(digest_of__isnull=False),
            name="newsletters_one_digest_per_period")]

    def __str__(self):
        return self.subject

    def clean(self):
        more = [item.article for item in self.more_articles.all() if item.article_id]
        if self.article_id is None and not more and not self.body.strip():
            raise ValidationError(_("Choose an article or write some text."))
        if self.article_id is not None and not self.article.live:
            raise ValidationError({"article": _("Choose a published article: a draft is "
                                                "not sent to readers.")})
        if any(not article.live for article in more):
            raise ValidationError(_("Choose published articles: a draft is not sent to "
                                    "readers."))

    def articles(self):
        """The issue's articles in order, live ones only (the first is `article`)."""
        found = [self.article] if self.article_id else []
        found += [item.article for item in self.more_articles.select_related("article")
                  if item.article_id]
        seen, ordered = set(), []
        for article in found:
            if article.live and article.pk not in seen:
                seen.add(article.pk)
                ordered.append(article.specific)
        return ordered


class IssueArticle(Orderable):
    """One more article of an issue (digests carry several)."""

    issue = ParentalKey(Issue, on_delete=models.CASCADE, related_name="more_articles")
    article = models.ForeignKey("news.ArticlePage", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("article"))

    panels = [FieldPanel("article")]


class Delivery(models.Model):
    """One issue to one subscription. Claimed, then marked handed over before the message
    goes to the mail server, and marked sent once the server accepted it; a claim older
    than the lease is taken over unless its message was handed over
    (docs/newsletters.md: what a killed worker can cost)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="deliveries")
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Written (a chunk at a time) before the message goes to the mail server. Handed
    # over but never marked sent, with the claim's lease run out: the worker died with
    # it in flight; it is "uncertain" and never sent again (docs/newsletters.md).
    handed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["issue", "subscription"],
                                               name="newsletters_one_delivery")]
        indexes = [models.Index(fields=["issue", "sent_at"])]

    def __str__(self):
        return f"issue {self.issue_id} to subscription {self.subscription_id}"


class TelegramChannel(models.Model):
    """A Telegram channel the newsroom posts to through its own bot.

    The bot token is encrypted with the donor keys (core/crypto.py): a database dump
    does not give anyone the channel."""

    name = models.CharField(_("name"), max_length=120)
    chat_id = models.CharField(
        _("channel"), max_length=64,
        help_text=_("@channelusername or the numeric id (-100…). Add the bot to the "
                    "channel as an administrator that may post."))
    token_ciphertext = models.TextField(editable=False, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True,
        help_text=_("Post articles in this language only; empty for every language."))
    post_articles = models.BooleanField(_("post each published article"), default=True)
    newsletter = models.ForeignKey(
        Newsletter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("also post issues of"),
        help_text=_("Each sent issue of this newsletter is posted too."))
    active = models.BooleanField(_("active"), default=True)
    connected_at = models.DateTimeField(_("connected"), auto_now_add=True)

    class Meta:
        verbose_name = _("Telegram channel")
        verbose_name_plural = _("Telegram channels")

    def __str__(self):
        return self.name

    @property
    def bot_token(self):
        return decrypt(self.token_ciphertext) if self.token_ciphertext else ""

    @bot_token.setter
    def bot_token(self, value):
        self.token_ciphertext = encrypt(value) if value else ""


class TelegramPost(models.Model):
    """One article or issue on one channel, recorded before it is posted, so editing
    or re-publishing an article never posts it again."""

    channel = models.ForeignKey(TelegramChannel, on_delete=models.CASCADE,
                                related_name="posts")
    page_id = models.IntegerField(null=True, blank=True)  # kept after the page is deleted
    issue = models.ForeignKey(Issue, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # after a 429 or failure
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("Telegram post")
        verbose_name_plural = _("Telegram posts")
        constraints = [
            models.UniqueConstraint(fields=["channel", "page_id"],
                                    condition=models.Q(page_id__isnull=False),
                                    name="newsletters_one_post_per_page"),
            models.UniqueConstraint(fields=["channel", "issue"],
                                    condition=models.Q(issue__isnull=False),
                                    name="newsletters_one_post_per_issue"),
        ]

    def __str__(self):
        return f"post {self.pk} on {self.channel}"
