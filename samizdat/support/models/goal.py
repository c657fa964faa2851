"""The monthly funding goal staff set in the admin, with its exchange rates."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, Panel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable

__all__ = ["FundingGoal", "ExchangeRate"]

currency_code = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. USD."))


class MissingRatesPanel(Panel):
    """Warns, where staff set the goal, of offered currencies that have no rate."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "support/admin/missing_rates_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["missing"] = self.instance.missing_rates() if self.instance else []
            return context


@register_setting(icon="pick")
class FundingGoal(ClusterableModel, BaseGenericSetting):
    """What the newsroom costs a month, and how much of it readers may see."""

    EXACT, ROUNDED, PERCENT = "exact", "rounded", "percent"
    DISPLAY_CHOICES = [
        (EXACT, _("Exact figures")),
        (ROUNDED, _("Rounded figures")),
        (PERCENT, _("Percentage only")),
    ]

    currency = models.CharField(
        _("goal currency"), max_length=3, default="USD", validators=[currency_code]
    )
    monthly_cost = models.PositiveIntegerField(
        _("monthly cost"),
        default=10_000,
        help_text=_("In whole units of the goal currency, e.g. 10000 for 10,000 USD."),
    )
    display = models.CharField(
        _("public display"),
        max_length=10,
        choices=DISPLAY_CHOICES,
        default=ROUNDED,
        help_text=_(
            "What funding.json and the progress bar reveal. 'Percentage only' keeps the "
            "amounts private."
        ),
    )

    panels = [
        MissingRatesPanel(),
        MultiFieldPanel(
            [FieldPanel("currency"), FieldPanel("monthly_cost"), FieldPanel("display")],
            heading=_("Goal"),
        ),
        InlinePanel(
            "rates",
            heading=_("Exchange rates"),
            label=_("Exchange rate"),
            help_text=_(
                "Gifts in other currencies count towards the goal at these rates. "
                "Gifts in a currency without a rate are left out of the total."
            ),
        ),
    ]

    class Meta:
        verbose_name = _("funding goal")
        permissions = [
            ("view_fundraising_dashboard", _("Can see the fundraising dashboard")),
            ("confirm_bank_transfer", _("Can confirm that a bank transfer arrived")),
        ]

    def __str__(self):
        return str(_("Funding goal"))

    def missing_rates(self):
        """Offered currencies with no rate: gifts in them count nowhere in the goal."""
        from ..money import SUPPORTED_CURRENCIES
        from .options import AmountOption

        offered = {*SUPPORTED_CURRENCIES,
                   *AmountOption.objects.values_list("currency", flat=True).distinct()}
        known = self.rate_map() if self.pk else {self.currency: Decimal(1)}
        return sorted(offered - set(known))

    def rate_map(self):
        """{currency: goal-currency units per unit}, the goal currency itself at 1."""
        rates = {rate.currency: rate.rate for rate in self.rates.all()}
        rates[self.currency] = Decimal(1)
        return rates


class ExchangeRate(Orderable):
    goal = ParentalKey(FundingGoal, related_name="rates", on_delete=models.CASCADE)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text=_("How many units of the goal currency one unit of this currency is worth."),
    )

    panels = [FieldPanel("currency"), FieldPanel("rate")]

    class Meta(Orderable.Meta):
        verbose_name = _("exchange rate")
        constraints = [
            models.UniqueConstraint(fields=["goal", "currency"], name="support_rate_unique")
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate}"

    def clean(self):
        if self.goal_id and self.currency == self.goal.currency:
            raise ValidationError({"currency": _("The goal currency needs no rate.")})
