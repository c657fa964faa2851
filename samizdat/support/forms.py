"""The contribution form: every field checked server-side, with messages a reader understands."""

import re

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .checkout import amount_choice, attempt_reference, available_methods
from .models.contributions import Frequency
from .money import SUPPORTED_CURRENCIES, AmountError, format_money, parse_amount

__all__ = ["ContributionForm", "clean_tag"]

_TAG = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def clean_tag(value):
    """Appeal and variant names are carried through, never shown; drop anything odd."""
    value = (value or "").strip()
    return value if _TAG.match(value) else ""


class ContributionForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=Frequency.choices,
        error_messages={"required": _("Choose how often to give."),
                        "invalid_choice": _("Choose once, monthly or annually.")},
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[(c, c) for c in SUPPORTED_CURRENCIES],
        error_messages={"required": _("Choose a currency."),
                        "invalid_choice": _("That currency is not offered.")},
    )
    amount = forms.CharField(label=_("Amount"), required=False, max_length=20)
    other_amount = forms.CharField(label=_("Other amount"), required=False, max_length=20)
    email = forms.EmailField(
        label=_("E-mail"), required=False, max_length=254,
        error_messages={"invalid": _("Enter a valid e-mail address, like name@example.org.")},
    )
    appeal = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    variant = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    # The reader's "supporting you may be risky" switch (support/advice.py): "1" or nothing.
    risk = forms.CharField(required=False, max_length=1, widget=forms.HiddenInput)
    # The reader's discreet-e-mail box; `discreet_asked` says the box was on the form, so a
    # form without it (an appeal's own) leaves the newsroom's default in place.
    discreet = forms.BooleanField(required=False)
    discreet_asked = forms.CharField(required=False, max_length=1, widget=forms.HiddenInput)
    # Honeypot: hidden from people (and from assistive technology); bots fill it.
    website = forms.CharField(required=False, max_length=200)
    method = forms.CharField(required=False, max_length=40)
    # Signed by the payment-method step; a retry of that step reuses its contribution.
    attempt = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, options, **kwargs):
        self.options = options
        super().__init__(*args, **kwargs)

    @property
    def is_bot(self):
        return bool(self.data.get("website"))

    def clean_appeal(self):
        return clean_tag(self.cleaned_data.get("appeal"))

    def clean_variant(self):
        return clean_tag(self.cleaned_data.get("variant"))

    def clean_discreet_asked(self):
        return self.cleaned_data.get("discreet_asked") == "1"

    def clean_risk(self):
        return self.cleaned_data.get("risk") == "1"

    def clean_attempt(self):
        token = self.cleaned_data.get("attempt") or ""
        return token if attempt_reference(token) else ""

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip()

    def clean(self):
        data = super().clean()
        data["discreet_choice"] = bool(data.get("discreet")) if data.get("discreet_asked") else None
        frequency, currency = data.get("frequency"), data.get("currency")
        if not frequency or not currency:
            return data
        choice = amount_choice(self.options, currency, frequency)
        # A typed amount wins over a preset still selected: what the reader wrote
        # last is what they mean, with or without the page's script.
        raw, field = data.get("other_amount") or "", "other_amount"
        if not raw.strip() and data.get("amount") not in ("", "other", None):
            raw, field = data["amount"], "amount"
        if not raw.strip():
            self.add_error("other_amount" if data.get("amount") == "other" else "amount",
                           _("Choose or enter an amount."))
            return data
        try:
            # Presets are our own plain numbers; what the reader typed is in the page's language.
            locale = get_language() if field == "other_amount" else None
            minor = parse_amount(raw, currency, locale=locale)
        except AmountError as exc:
            self.add_error(field, exc.message)
            return data
        if minor < choice.minimum:
            self.add_error(field, _("The minimum is %(amount)s.")
                           % {"amount": format_money(choice.minimum, currency)})
        elif minor > choice.maximum:
            self.add_error(field, _("The maximum is %(amount)s. For larger gifts, please "
                                    "contact us.") % {"amount": format_money(choice.maximum,
                                                                              currency)})
        else:
            data["amount_minor"] = minor
        if frequency != Frequency.ONCE and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("An e-mail address is needed to manage a regular "
                                      "contribution."))
        method = data.get("method")
        if method:
            aliases = [p.identifier for p in available_methods(self.options, frequency)]
            if method not in aliases:
                self.add_error(None, _("That payment method is not available for this choice."))
            else:
                data["provider_alias"] = method
        return data
