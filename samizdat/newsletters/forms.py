from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Newsletter, Subscription


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    newsletters = forms.ModelMultipleChoiceField(
        label=_("Newsletters"), queryset=Newsletter.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one newsletter.")})
    source = forms.ChoiceField(choices=Subscription.Source.choices[:2], required=False,
                               widget=forms.HiddenInput)
    # A honeypot: hidden from people by CSS and aria-hidden; bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
