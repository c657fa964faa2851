"""What the support page tells a donor, per language, as staff write it.

One row per language; any field left empty (and a language without a row) shows
the reviewed default from support/advice.py, translated like every other string.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable
from wagtail.snippets.models import register_snippet

__all__ = ["OtherWayToGive", "PaymentMethodNote", "SupportPageCopy"]


@register_snippet
class SupportPageCopy(ClusterableModel):
    """The support page's words in one language: what the money does, the privacy promise,
    each payment method's risk note, other ways to give, and the advice for readers at risk."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, unique=True
    )
    money_does = models.TextField(
        _("what your money does"),
        blank=True,
        help_text=_("Two or three sentences. Empty: the default text."),
    )
    privacy_promise = models.TextField(
        _("privacy promise"), blank=True, help_text=_("Empty: the default text.")
    )
    we_keep = models.TextField(
        _("what we keep"),
        blank=True,
        help_text=_("Shown under the payment methods. Empty: the default text."),
    )
    advice_title = models.CharField(_("advice page title"), max_length=120, blank=True)
    advice = RichTextField(
        _("advice for readers at risk"),
        blank=True,
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link"],
        help_text=_(
            "The page linked from the “supporting you may be risky” switch. "
            "Empty: the default advice."
        ),
    )

    panels = [
        FieldPanel("language"),
        MultiFieldPanel(
            [FieldPanel("money_does"), FieldPanel("privacy_promise"), FieldPanel("we_keep")],
            heading=_("Support page"),
        ),
        InlinePanel("method_notes", label=_("What each payment method reveals")),
        InlinePanel("other_ways", label=_("Other ways to give")),
        MultiFieldPanel(
            [FieldPanel("advice_title"), FieldPanel("advice")],
            heading=_("Advice for readers at risk"),
        ),
    ]

    class Meta:
        verbose_name = _("support page text")
        verbose_name_plural = _("support page texts")

    def __str__(self):
        return str(dict(settings.LANGUAGES).get(self.language, self.language))


class PaymentMethodNote(Orderable):
    """What one payment method reveals and to whom, keyed by the provider's name."""

    copy = ParentalKey(SupportPageCopy, on_delete=models.CASCADE, related_name="method_notes")
    method = models.CharField(
        _("payment method"),
        max_length=40,
        help_text=_(
            "The provider's name in the server configuration: stripe, btcpay, bank_transfer, demo."
        ),
    )
    note = models.TextField(_("note"), max_length=600)

    panels = [FieldPanel("method"), FieldPanel("note")]

    class Meta(Orderable.Meta):
        verbose_name = _("payment method note")


class OtherWayToGive(Orderable):
    """A way to give outside this site: a fiscal sponsor, a friend abroad, a platform."""

    copy = ParentalKey(SupportPageCopy, on_delete=models.CASCADE, related_name="other_ways")
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), blank=True, max_length=600)
    url = models.URLField(_("link"), blank=True)

    panels = [FieldPanel("title"), FieldPanel("text"), FieldPanel("url")]

    class Meta(Orderable.Meta):
        verbose_name = _("other way to give")
