"""What fundraising staff tune in the admin: amounts, currencies, methods, defences."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable

from ..money import SUPPORTED_CURRENCIES, AmountError, is_known_currency, parse_amount
from .contributions import Frequency

__all__ = ["AmountOption", "ContributionSettings", "DEFAULT_AMOUNTS"]

CURRENCY_CHOICES = [(code, code) for code in SUPPORTED_CURRENCIES]

# (presets, default, minimum, maximum) in major units, the same in each currency.
DEFAULT_AMOUNTS = {
    Frequency.MONTHLY: (("2", "5", "10"), "5", "2", "10000"),
    Frequency.ONCE: (("10", "25", "50"), "25", "2", "10000"),
    Frequency.ANNUAL: (("25", "50", "100"), "50", "2", "10000"),
}


@register_setting(icon="pick")
class ContributionSettings(ClusterableModel, BaseSiteSetting):
    """The contribution page's choices; amounts per currency and frequency are inline rows.

    A currency and frequency without a row uses DEFAULT_AMOUNTS.
    """

    default_currency = models.CharField(
        _("default currency (English pages)"), max_length=3, choices=CURRENCY_CHOICES, default="USD"
    )
    default_currency_ru = models.CharField(
        _("default currency (Russian pages)"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    default_frequency = models.CharField(
        _("default frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    enabled_methods = models.CharField(
        _("enabled payment methods"), max_length=200, blank=True,
        help_text=_(
            "Comma-separated provider names from the server configuration, in the order shown "
            "(e.g. “stripe, bank_transfer”). Leave blank to offer every configured method."
        ),
    )
    under_attack = models.BooleanField(
        _("under attack"), default=False,
        help_text=_("Tightens the limits on checkout starts while a card-testing attack lasts."),
    )
    bank_account_holder = models.CharField(_("account holder"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_iban = models.CharField(_("IBAN or account number"), max_length=64, blank=True)
    bank_bic = models.CharField(_("BIC / SWIFT"), max_length=32, blank=True)
    bank_instructions = models.TextField(_("other instructions"), blank=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("default_currency"), FieldPanel("default_currency_ru"),
             FieldPanel("default_frequency")],
            heading=_("Defaults"),
        ),
        InlinePanel("amount_options", label=_("Amounts per currency and frequency")),
        MultiFieldPanel(
            [FieldPanel("enabled_methods"), FieldPanel("under_attack")],
            heading=_("Payment methods and defences"),
        ),
        MultiFieldPanel(
            [FieldPanel("bank_account_holder"), FieldPanel("bank_name"), FieldPanel("bank_iban"),
             FieldPanel("bank_bic"), FieldPanel("bank_instructions")],
            heading=_("Bank transfer details"),
        ),
    ]

    class Meta:
        verbose_name = _("contribution options")

    def currency_for_language(self, language_code):
        if (language_code or "").startswith("ru"):
            return self.default_currency_ru
        return self.default_currency

    def method_aliases(self):
        return [alias.strip() for alias in self.enabled_methods.split(",") if alias.strip()]


class AmountOption(Orderable):
    """Preset amounts, default, minimum and maximum for one currency and frequency."""

    setting = ParentalKey(
        ContributionSettings, on_delete=models.CASCADE, related_name="amount_options"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    amounts = models.CharField(
        _("preset amounts"), max_length=200,
        help_text=_("In major units, comma-separated: 2, 5, 10"),
    )
    default_amount = models.CharField(_("default amount"), max_length=20)
    minimum = models.CharField(_("minimum"), max_length=20, default="2")
    maximum = models.CharField(_("maximum"), max_length=20, default="10000")

    panels = [
        FieldPanel("currency"), FieldPanel("frequency"), FieldPanel("amounts"),
        FieldPanel("default_amount"), FieldPanel("minimum"), FieldPanel("maximum"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("amount option")
        constraints = [
            models.UniqueConstraint(
                fields=["setting", "currency", "frequency"], name="support_amount_option_once"
            ),
        ]

    def __str__(self):
        return f"{self.currency} {self.frequency}: {self.amounts}"

    def preset_list(self):
        return [item.strip() for item in self.amounts.split(",") if item.strip()]

    def clean(self):
        if not is_known_currency(self.currency):
            raise ValidationError({"currency": _("Unknown currency.")})
        errors = {}
        try:
            presets = [parse_amount(item, self.currency) for item in self.preset_list()]
            if not presets:
                errors["amounts"] = _("Enter at least one amount.")
        except AmountError as exc:
            errors["amounts"] = exc.message
            presets = []
        values = {}
        for name in ("default_amount", "minimum", "maximum"):
            try:
                values[name] = parse_amount(getattr(self, name), self.currency)
            except AmountError as exc:
                errors[name] = exc.message
        if not errors:
            if values["minimum"] > values["maximum"]:
                errors["maximum"] = _("The maximum must not be below the minimum.")
            elif any(not values["minimum"] <= p <= values["maximum"] for p in presets):
                errors["amounts"] = _("Every preset must lie between the minimum and the maximum.")
            elif not values["minimum"] <= values["default_amount"] <= values["maximum"]:
                errors["default_amount"] = _(
                    "The default must lie between the minimum and the maximum."
                )
        if errors:
            raise ValidationError(errors)
