"""E-mail plumbing for supporters: both parts from templates, in their language.

Every message goes through Django's e-mail framework, so the backend is a
setting: console in the demo, SMTP or a django-anymail backend in
production (docs/payments.md). In discreet mode the sender name and subject
are the neutral ones from the admin and the template's `discreet` variant is
used: no outlet name, no amount, only a link.
"""

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def outlet_settings():
    """The outlet's name, legal name and address (from the default site)."""
    from wagtail.models import Site

    from samizdat.news.models import OutletSettings

    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return OutletSettings(name=getattr(settings, "WAGTAIL_SITE_NAME", ""))
    return OutletSettings.for_site(site)


def email_settings():
    from .models import SupporterEmailSettings

    return SupporterEmailSettings.load()


def absolute_url(path):
    return settings.SITE_URL.rstrip("/") + path


def reader_url(viewname, language, **kwargs):
    """An absolute URL for a language-prefixed reader page."""
    with translation.override(language):
        return absolute_url(reverse(viewname, kwargs=kwargs or None))


def supporter_language(obj):
    language = getattr(obj, "language", "") or settings.LANGUAGE_CODE
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def discreet_for(subject=None, supporter=None):
    """Whether e-mails about `subject` (or to `supporter`) are discreet.

    The latest choice the supporter made wins: the box on the contribution form (kept on
    the gift or plan) or on the manage page (kept on the supporter and copied onto their
    gifts and plans). Without one, the newsroom-wide switch decides."""
    if subject is not None:
        if subject.discreet_emails is not None:
            return subject.discreet_emails
        supporter = supporter or subject.supporter
    if supporter is not None:
        if supporter.discreet_emails is not None:
            return supporter.discreet_emails
        if subject is None and _any_discreet_gift(supporter):
            return True
    return email_settings().discreet


def _any_discreet_gift(supporter):
    """A supporter who asked for discreet e-mails on any gift or plan gets discreet
    messages that concern none of them (the manage link): when unsure, say less."""
    return (supporter.contributions.filter(discreet_emails=True).exists()
            or supporter.pledges.filter(discreet_emails=True).exists())


def build_message(to, template, subject, context, language, subject_params=None,
                  force_discreet=None, message_id=None):
    """An EmailMultiAlternatives (text + HTML) rendered from support/emails/<template>.

    `message_id` (a fixed local part) makes a message sent twice recognisable as one.

    `subject` is a lazy translation, filled with `subject_params` in the
    supporter's language. Discreet mode renders <template>_discreet.{txt,html}
    with the neutral subject and sender.
    """
    prefs = email_settings()
    discreet = prefs.discreet if force_discreet is None else force_discreet
    outlet = outlet_settings()
    with translation.override(language):
        context = {
            "outlet": outlet,
            "discreet": discreet,
            "language": language,
            "site_url": settings.SITE_URL,
            **context,
        }
        name = f"support/emails/{template}{'_discreet' if discreet else ''}"
        text = render_to_string(f"{name}.txt", context)
        html = render_to_string(f"{name}.html", context)
        if discreet:
            subject = prefs.discreet_subject
        else:
            subject = str(subject) % subject_params if subject_params else str(subject)
    from_address = getattr(settings, "SUPPORT_FROM_EMAIL", "") or settings.DEFAULT_FROM_EMAIL
    if discreet:
        from_address = getattr(settings, "SUPPORT_DISCREET_FROM_EMAIL", "") or from_address
        sender = formataddr((prefs.discreet_sender_name, from_address))
    else:
        sender = formataddr((outlet.name, from_address)) if outlet.name else from_address
    headers = {"Auto-Submitted": "auto-generated"}
    if message_id:
        headers["Message-ID"] = f"<{message_id}@{from_address.rpartition('@')[2] or 'localhost'}>"
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # no header injection through newlines
        body=text,
        from_email=sender,
        to=[to],
        reply_to=[prefs.reply_to] if prefs.reply_to else None,
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def send(to, template, subject, context, language, subject_params=None, message_id=None,
         discreet=None):
    """`discreet`: the supporter's choice (discreet_for); None means the newsroom's."""
    build_message(to, template, subject, context, language, subject_params,
                  force_discreet=discreet, message_id=message_id).send()
