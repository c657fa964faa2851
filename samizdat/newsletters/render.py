"""An issue as an e-mail: the article in full, as HTML and as plain text.

The content is rendered once per issue (`IssueContent`); each reader's message
differs only by its unsubscribe link. Every link and image points at our own site
(absolute URLs under SITE_URL): no pixel, no redirect, nothing per reader but the
unsubscribe link.
"""

import html
import re
from dataclasses import dataclass
from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html

UNSUBSCRIBE_SALT = "samizdat.newsletters.unsubscribe"
_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def unsubscribe_token(subscription):
    """Single-purpose (its own salt) and per subscription: it can do nothing else."""
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT)


def subscription_for(token):
    """The subscription id a token names, or None if it was tampered with."""
    try:
        return signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None


def absolute(fragment, base):
    return _RELATIVE.sub(lambda m: f'{m.group(1)}{base}/', fragment)


def _text(fragment):
    return html.unescape(strip_tags(fragment)).strip()


def _image(image, base, caption=""):
    rendition = image.get_rendition("width-720")
    url = rendition.url if urlsplit(rendition.url).scheme else base + rendition.url
    caption = caption or image.caption
    credit = f" ({_('Photo:')} {image.credit})" if image.credit else ""
    markup = format_html('<figure><img src="{}" width="{}" height="{}" alt="{}" '
                         'style="max-width:100%;height:auto">{}</figure>', url,
                         rendition.width, rendition.height, image.default_alt_text,
                         format_html("<figcaption>{}{}</figcaption>", caption, credit)
                         if caption or credit else "")
    return markup, f"[{caption or image.title}{credit}] {url}"


def article_parts(article, base):
    """(html, text) of an article's title, standfirst, lead image and body."""
    html_parts = [format_html("<h1>{}</h1>", article.title)]
    text_parts = [f"{article.title}\n{'=' * len(article.title)}"]
    if article.standfirst:
        html_parts.append(format_html('<p class="standfirst"><strong>{}</strong></p>',
                                      article.standfirst))
        text_parts.append(article.standfirst)
    if article.lead_image:
        markup, text = _image(article.lead_image, base, article.lead_image_caption)
        html_parts.append(markup)
        text_parts.append(text)
    for block in article.body:
        kind, value = block.block_type, block.value
        if kind == "paragraph":
            html_parts.append(absolute(expand_db_html(value.source), base))
            text_parts.append(_text(expand_db_html(value.source)))
        elif kind == "heading":
            html_parts.append(format_html("<h2>{}</h2>", value))
            text_parts.append(f"{value}\n{'-' * len(value)}")
        elif kind == "pull_quote":
            html_parts.append(format_html("<blockquote><p>{}</p><p>{}</p></blockquote>",
                                          value["quote"], value["attribution"]))
            text_parts.append(f"> {value['quote']}\n> {value['attribution']}".rstrip("> \n"))
        elif kind == "image":
            markup, text = _image(value["image"], base, value["caption"])
            html_parts.append(markup)
            text_parts.append(text)
        elif kind == "embed":
            html_parts.append(format_html('<p><a href="{}">{}</a> {}</p>', value["url"],
                                          value["title"], value["provider"]))
            text_parts.append(f"{value['title']}: {value['url']}")
    return mark_safe("\n".join(str(p) for p in html_parts)), "\n\n".join(text_parts)


def article_url(article, base):
    """The article on SITE_URL (the address readers know, as images and feeds use)."""
    _site, _root, path = article.get_url_parts()
    return base + path


@dataclass
class IssueContent:
    subject: str
    from_email: str
    list_id: str
    html: str
    text: str


def neutral_subject(newsletter):
    return {"daily": _("Daily digest"), "weekly": _("Weekly digest"),
            "monthly": _("Monthly digest")}.get(newsletter.cadence, _("Digest"))


def render_content(issue):
    """Everything about the message that is the same for every reader."""
    newsletter = issue.newsletter
    base = settings.SITE_URL.rstrip("/")
    with translation.override(newsletter.language):
        if newsletter.discreet:
            subject = name = neutral_subject(newsletter)
        else:
            subject, name = issue.subject, newsletter.sender_name
        address = newsletter.sender_address or settings.DEFAULT_FROM_EMAIL
        article_html, article_text = (article_parts(issue.article.specific, base)
                                      if issue.article_id else ("", ""))
        context = {
            "issue": issue, "body": issue.body, "discreet": newsletter.discreet,
            "article_html": article_html, "article_text": article_text,
            "article_url": article_url(issue.article, base) if issue.article_id else "",
            "mirrors_url": base + reverse("mirrors:index"),
            "unsubscribe_url": "{{UNSUBSCRIBE}}",
        }
        html_body = render_to_string("newsletters/email/issue.html", context)
        text_body = render_to_string("newsletters/email/issue.txt", context)
    domain = urlsplit(base).hostname or "localhost"
    label = neutral_subject(newsletter) if newsletter.discreet else newsletter.name
    return IssueContent(
        subject=subject,
        from_email=formataddr((name, address)) if name else address,
        list_id=f"{label.replace('<', '').replace('>', '')} "
                f"<newsletter-{newsletter.pk}.{domain}>",
        html=html_body, text=text_body)


def message_for(content, subscription, connection=None):
    """One reader's message: the shared content plus their own unsubscribe link."""
    origin = settings.SAMIZDAT_DONATION_ORIGIN.rstrip("/")
    with translation.override(subscription.newsletter.language):
        url = origin + reverse("newsletters:unsubscribe",
                               args=[unsubscribe_token(subscription)])
    unsubscribe = [f"<{url}>"]
    mailto = getattr(settings, "NEWSLETTERS_UNSUBSCRIBE_MAILTO", "")
    if mailto:
        unsubscribe.append(f"<mailto:{mailto}?subject=unsubscribe>")
    headers = {"List-Id": content.list_id, "List-Unsubscribe": ", ".join(unsubscribe),
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    newsletter = subscription.newsletter
    message = EmailMultiAlternatives(
        subject=content.subject, body=content.text.replace("{{UNSUBSCRIBE}}", url),
        from_email=content.from_email, to=[subscription.subscriber.email],
        reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
        headers=headers, connection=connection)
    message.attach_alternative(content.html.replace("{{UNSUBSCRIBE}}", html.escape(url)),
                               "text/html")
    return message
