"""Appeals: what fundraising staff write, and the anonymous per-day counts they get.

An appeal is a Wagtail snippet with drafts and revisions: publishing a new
version is what makes a closed banner come back (its version is the id of
the live revision). Copy lives on variants (A, B, …), with one field per
language, so one A/B test covers both languages.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, Orderable, RevisionMixin

from samizdat.core.crypto import EncryptedEmailField, blind_index

COPY_FEATURES = ["bold", "italic", "link", "ol", "ul"]
VARIANT_KEYS = ["A", "B", "C", "D", "E"]


class Placement(models.TextChoices):
    BANNER = "banner", _("Banner (bottom of the screen)")
    INLINE = "inline", _("Inline ask inside an article")
    LETTER = "letter", _("Letter at the end of an article")


class EventKind(models.TextChoices):
    VIEW = "view", _("view")
    CLOSE = "close", _("close")
    REMIND = "remind", _("remind me later")
    CLICK = "click", _("click")
    CONVERSION = "conversion", _("conversion")


@register_setting(icon="pick")
class AppealSettings(BaseGenericSetting):
    """Switches for every appeal at once."""

    appeals_enabled = models.BooleanField(
        _("show appeals"),
        default=True,
        help_text=_("The kill switch: untick to stop every banner, inline ask and letter at once"),
    )
    supporter_days_once = models.PositiveIntegerField(
        _("days a one-off supporter is not asked"), default=90
    )
    supporter_days_recurring = models.PositiveIntegerField(
        _("days a monthly or annual supporter is not asked"), default=365
    )
    count_articles_read = models.BooleanField(
        _("count articles read this month"),
        default=False,
        help_text=_(
            "Keeps one number per month in the reader's browser for the {articles} "
            "placeholder. Off by default: it is a small piece of reading history."
        ),
    )

    email_reminders = models.BooleanField(
        _("offer an e-mail reminder"),
        default=False,
        help_text=_(
            "Adds “or e-mail me once” to Remind me later. One message, a one-click "
            "unsubscribe link, and the address is deleted when it is sent."
        ),
    )

    panels = [
        FieldPanel("appeals_enabled"),
        FieldRowPanel([FieldPanel("supporter_days_once"), FieldPanel("supporter_days_recurring")]),
        FieldPanel("count_articles_read"),
        FieldPanel("email_reminders"),
    ]

    class Meta:
        verbose_name = _("appeal switches")


class Appeal(DraftStateMixin, RevisionMixin, ClusterableModel):
    """One ask in one placement, with targeting, caps and A/B variants."""

    name = models.CharField(_("name"), max_length=120, help_text=_("For staff only"))
    placement = models.CharField(_("placement"), max_length=10, choices=Placement.choices)
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("When several could show, the highest wins")
    )
    start_at = models.DateTimeField(_("start"), null=True, blank=True)
    end_at = models.DateTimeField(_("end"), null=True, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("", _("All languages"))] + list(settings.LANGUAGES),
        help_text=_("A language also needs copy in its fields to show"),
    )
    include_sections = ParentalManyToManyField(
        "news.SectionPage",
        blank=True,
        related_name="+",
        verbose_name=_("only in these sections"),
        help_text=_("Empty: everywhere. A section's translations count too."),
    )
    exclude_sections = ParentalManyToManyField(
        "news.SectionPage",
        blank=True,
        related_name="+",
        verbose_name=_("never in these sections"),
    )
    exclude_tags = ParentalManyToManyField(
        "taggit.Tag",
        blank=True,
        related_name="+",
        verbose_name=_("never on articles with these tags"),
        help_text=_("Mark sensitive topics here"),
    )
    neutral = models.BooleanField(
        _("neutral fallback"),
        default=False,
        help_text=_("May still show on articles marked “no fundraising appeals”"),
    )
    hide_from_supporters = models.BooleanField(_("hide from supporters"), default=True)
    max_views = models.PositiveIntegerField(
        _("at most this many views"), default=4, help_text=_("0: no limit")
    )
    per_days = models.PositiveIntegerField(_("per this many days"), default=30)
    min_days_between = models.PositiveIntegerField(
        _("days between views"), default=0, help_text=_("0: may show on every page")
    )
    remind_days = models.PositiveIntegerField(
        _("“Remind me later” hides appeals for (days)"), default=30
    )
    after_paragraph = models.PositiveIntegerField(
        _("inline ask after block number"), default=3, help_text=_("Inline asks only")
    )
    show_goal = models.BooleanField(
        _("show the month's goal progress"), default=False, help_text=_("Banners only")
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("placement"),
        InlinePanel("variants", label=_("Variants (copy in each language)"), min_num=1, max_num=5),
    ]
    targeting_panels = [
        FieldRowPanel([FieldPanel("start_at"), FieldPanel("end_at")], heading=_("Schedule")),
        FieldPanel("priority"),
        FieldPanel("language"),
        FieldPanel("include_sections"),
        FieldPanel("exclude_sections"),
        FieldPanel("exclude_tags"),
        FieldPanel("neutral"),
        FieldPanel("hide_from_supporters"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("max_views"), FieldPanel("per_days")]),
                FieldPanel("min_days_between"),
                FieldPanel("remind_days"),
            ],
            heading=_("How often"),
        ),
        FieldPanel("after_paragraph"),
        FieldPanel("show_goal"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(panels, heading=_("Copy")),
            ObjectList(targeting_panels, heading=_("Who and when")),
        ]
    )

    class Meta:
        ordering = ["-priority", "pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self):
        return self.name

    @property
    def version(self):
        """Changes each time staff publish: a closed appeal shows again after that."""
        return self.live_revision_id or 0


class AppealVariant(Orderable):
    """One version of the copy in an A/B test; the weight sets its share of readers."""

    appeal = ParentalKey(Appeal, related_name="variants", on_delete=models.CASCADE)
    key = models.CharField(
        _("variant"), max_length=1, choices=[(k, k) for k in VARIANT_KEYS], default="A"
    )
    weight = models.PositiveIntegerField(_("weight"), default=1, help_text=_("0: paused"))
    heading_en = models.CharField(_("heading (English)"), max_length=200, blank=True)
    text_en = RichTextField(_("text (English)"), features=COPY_FEATURES, blank=True)
    button_en = models.CharField(_("button (English)"), max_length=60, blank=True)
    heading_ru = models.CharField(_("heading (Russian)"), max_length=200, blank=True)
    text_ru = RichTextField(_("text (Russian)"), features=COPY_FEATURES, blank=True)
    button_ru = models.CharField(_("button (Russian)"), max_length=60, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("key"), FieldPanel("weight")]),
        MultiFieldPanel(
            [FieldPanel("heading_en"), FieldPanel("text_en"), FieldPanel("button_en")],
            heading=_("English"),
        ),
        MultiFieldPanel(
            [FieldPanel("heading_ru"), FieldPanel("text_ru"), FieldPanel("button_ru")],
            heading=_("Russian"),
        ),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("variant")

    def __str__(self):
        return f"{self.appeal} {self.key}"

    def copy_for(self, language_code):
        """(heading, rich text, button) in a language; empty text means none."""
        suffix = "ru" if language_code == "ru" else "en"
        return (
            getattr(self, f"heading_{suffix}"),
            getattr(self, f"text_{suffix}"),
            getattr(self, f"button_{suffix}"),
        )


class DailyCount(models.Model):
    """How many times an event happened to an appeal variant on one day. Nothing else."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="counts")
    variant = models.CharField(max_length=1)
    day = models.DateField()
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "variant", "day", "kind"], name="appeals_one_count_per_day"
            )
        ]
        verbose_name = _("daily count")

    def __str__(self):
        return f"{self.appeal_id}{self.variant} {self.day} {self.kind}: {self.count}"


class EmailReminder(models.Model):
    """One reminder e-mail a reader asked for: deleted once sent or unsubscribed.

    The address is encrypted like a supporter's (core/crypto.py); its blind
    index lets a supporter's "forget me" remove a pending reminder too.
    """

    email = EncryptedEmailField(_("e-mail"), max_length=254, db_column="email_ciphertext")
    email_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    send_on = models.DateField(_("send on"), db_index=True)
    language = models.CharField(max_length=8, default="en")
    token = models.CharField(max_length=43, unique=True)

    class Meta:
        verbose_name = _("e-mail reminder")

    def __str__(self):
        return f"reminder on {self.send_on}"

    def save(self, *args, **kwargs):
        self.email_index = blind_index(self.email)
        super().save(*args, **kwargs)
