"""The Telegram channel in the Wagtail admin: the bot token is typed in once, stored
encrypted (core/crypto.py) and never shown again."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,60}$")
CHAT = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{4,31}|-?\d{1,20})$")


class TelegramChannelForm(WagtailAdminModelForm):
    bot_token = forms.CharField(
        label=_("bot token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("From @BotFather. Stored encrypted; leave empty to keep the current token."),
    )

    def clean_bot_token(self):
        token = self.cleaned_data["bot_token"]
        if token and not TOKEN.match(token):
            raise forms.ValidationError(
                _("This is not a bot token (digits, a colon, then letters and digits).")
            )
        if not token and not self.instance.token_ciphertext:
            raise forms.ValidationError(_("Enter the bot token."))
        return token

    def clean_chat_id(self):
        chat = self.cleaned_data["chat_id"].strip()
        if not CHAT.match(chat):
            raise forms.ValidationError(_("Enter @channelusername or the channel's numeric id."))
        return chat

    def save(self, commit=True):
        if self.cleaned_data.get("bot_token"):
            self.instance.bot_token = self.cleaned_data["bot_token"]
        return super().save(commit=commit)
