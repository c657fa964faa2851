"""An issue as an e-mail: its articles in full (or as teasers), as HTML and as plain
text.

The content is rendered once per batch (`IssueContent`); each reader's message
differs only by its unsubscribe link and, when the issue carries an appeal, by
whether it holds the ask or, for a supporter, a thank-you (both versions are
rendered up front). Every image points at our own site (absolute URLs under
SITE_URL); every link to the site also leads to the freshest mirror
(mirror_links.py); CSS is inlined, as mail clients drop <style>. No pixel, no
redirect, nothing per reader but those two.
"""

import copy
import html
import random
import re
import sys
from dataclasses import dataclass, field
from email.mime.multipart import MIMEMultipart
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import (
    SafeMIMEMultipart,
    SafeMIMEText,
    forbid_multi_line_headers,
)
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html

from samizdat.appeals.letter_copy import letter_copy

from . import mirror_links
from .wire import wire

UNSUBSCRIBE_SALT = "samizdat.newsletters.unsubscribe"
# Mail clients drop <style>: every rule goes into style attributes. Nothing remote
# is fetched while inlining (the issue links no stylesheet anyway).
INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)
PLACEHOLDER = "{{UNSUBSCRIBE}}"
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


def _image(image, base, caption, alt):
    """The picture with the page's own caption and alt text (news decides when the image
    library's main-language text stands in: ArticlePage.caption, ArticleImageBlock)."""
    rendition = image.get_rendition("width-720")
    url = rendition.url if urlsplit(rendition.url).scheme else base + rendition.url
    credit = f" ({_('Photo:')} {image.credit})" if image.credit else ""
    markup = format_html('<figure><img src="{}" width="{}" height="{}" alt="{}" '
                         'style="max-width:100%;height:auto">{}</figure>', url,
                         rendition.width, rendition.height, alt,
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
    # Read the page's locale first: the caption properties then judge by it, not by the
    # language the sending task happens to run in.
    library = article.locale.language_code == settings.LANGUAGE_CODE
    if article.lead_image:
        markup, text = _image(article.lead_image, base, article.caption,
                              article.lead_image_alt_text)
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
            image = value["image"]
            markup, text = _image(
                image, base, value.get("caption") or (image.caption if library else ""),
                value.get("alt") or (image.default_alt_text if library else ""))
            html_parts.append(markup)
            text_parts.append(text)
        elif kind == "embed":
            html_parts.append(format_html('<p><a href="{}">{}</a> {}</p>', value["url"],
                                          value["title"], value["provider"]))
            text_parts.append(f"{value['title']}: {value['url']}")
    return mark_safe("\n".join(str(p) for p in html_parts)), "\n\n".join(text_parts)


def teaser_parts(article, url):
    """(html, text) of an article's title, linked, and standfirst: what a teaser shows."""
    html_parts = [format_html('<h2><a href="{}">{}</a></h2>', url, article.title)]
    text_parts = [f"{article.title}\n{'-' * len(article.title)}"]
    if article.standfirst:
        html_parts.append(format_html('<p class="standfirst">{}</p>', article.standfirst))
        text_parts.append(article.standfirst)
    return mark_safe("\n".join(str(p) for p in html_parts)), "\n".join(text_parts)


_IMAGE = re.compile(r"<img\s[^>]*>", re.S)
_SRC = re.compile(r'\ssrc="([^"]*)"')
_ALT = re.compile(r'\salt="([^"]*)"')


def own_images_only(markup, base):
    """An image on any host but ours becomes its alt text: a mail client that loads it
    would tell that host who read the issue."""

    def keep_or_drop(match):
        src = _SRC.search(match.group(0))
        if src and html.unescape(src.group(1)).startswith(base + "/"):
            return match.group(0)
        alt = _ALT.search(match.group(0))
        return alt.group(1) if alt else ""

    return _IMAGE.sub(keep_or_drop, markup)


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
    # What a supporter gets instead when the issue carries an appeal: the thank-you.
    supporter_html: str = ""
    supporter_text: str = ""
    # Each variant's MIME parts, encoded once with the placeholder (mime_parts).
    _parts: dict = field(default_factory=dict, compare=False, repr=False)
    # Header values checked and encoded by Django once per batch (_BatchMultipart).
    _headers: dict = field(default_factory=dict, compare=False, repr=False)

    def for_reader(self, supporter=False):
        """(html, text) for a reader; the placeholders are still to be filled."""
        if supporter and self.supporter_html:
            return self.supporter_html, self.supporter_text
        return self.html, self.text

    def mime_parts(self, supporter=False):
        """The variant's (text, html) parts, encoded once per batch rather than once per
        reader: encoding 15 KB twice was most of a message's cost (bench/README.md)."""
        variant = bool(supporter and self.supporter_html)
        if variant not in self._parts:
            html_body, text_body = self.for_reader(supporter)
            self._parts[variant] = (SafeMIMEText(text_body, "plain", "utf-8"),
                                    SafeMIMEText(html_body, "html", "utf-8"))
        return self._parts[variant]


def _filled(part, replacement):
    """A copy of an encoded part with the placeholder replaced. In an 8bit or 7bit part
    the payload is the text itself, so the replacement is exact; a quoted-printable
    part (a line over 998 bytes) may have folded the placeholder, so it is encoded
    again, as Django would."""
    if part["Content-Transfer-Encoding"] in ("7bit", "8bit"):
        filled = copy.copy(part)  # shares the headers, which stay the same
        filled._payload = part._payload.replace(PLACEHOLDER, replacement)
        return filled
    text = part.get_payload(decode=True).decode(part.get_content_charset())
    return SafeMIMEText(text.replace(PLACEHOLDER, replacement), part.get_content_subtype(),
                        "utf-8")


class _BatchMultipart(SafeMIMEMultipart):
    """Django's SafeMIMEMultipart, whose check and encoding of each header value
    (forbid_multi_line_headers: the subject through email's Header, addresses through
    sanitize_address) is done once per batch for a value every reader shares."""

    def __init__(self, *args, checked, **kwargs):
        self._checked = checked  # before __init__, which sets MIME-Version
        super().__init__(*args, **kwargs)

    def __setitem__(self, name, val):
        if not isinstance(val, str):
            MIMEMultipart.__setitem__(self, *forbid_multi_line_headers(name, val,
                                                                       self.encoding))
            return
        key = (name, val, self.encoding)
        found = self._checked.get(key)
        if found is None:
            found = self._checked[key] = forbid_multi_line_headers(name, val, self.encoding)
        MIMEMultipart.__setitem__(self, *found)


class _PreparedMessage(EmailMultiAlternatives):
    """EmailMultiAlternatives whose MIME body comes from parts encoded once
    (IssueContent.mime_parts) with this reader's link put in, and whose shared header
    values are checked once (_BatchMultipart); `body` and `alternatives` still hold
    the reader's full text, as before."""

    def __init__(self, *args, parts, url, checked, **kwargs):
        super().__init__(*args, **kwargs)
        self._parts, self._url, self._checked = parts, url, checked

    def message(self):
        """Django's EmailMessage.message(), less the text part it would encode first
        and then drop (the multipart is built from the prepared parts)."""
        msg = self._create_message(None)
        msg["Subject"] = self.subject
        msg["From"] = self.extra_headers.get("From", self.from_email)
        self._set_list_header_if_not_empty(msg, "To", self.to)
        self._set_list_header_if_not_empty(msg, "Cc", self.cc)
        self._set_list_header_if_not_empty(msg, "Reply-To", self.reply_to)
        header_names = [key.lower() for key in self.extra_headers]
        if "date" not in header_names:
            msg["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        if "message-id" not in header_names:
            msg["Message-ID"] = make_msgid(domain=DNS_NAME)
        for name, value in self.extra_headers.items():
            if name.lower() not in {"from", "to", "cc", "reply-to"}:
                msg[name] = value
        return msg

    def smtp_data(self, folded):
        """The message as the SMTP DATA payload (CRLF lines, leading dots doubled, the
        final dot), byte for byte what flattening message() with handover's
        BatchGenerator gives, from a byte template made once per batch: only the
        reader's address, link, Message-ID and Date are put in. None when this message
        is not one the template can make exactly (the caller then flattens it)."""
        return wire(self, folded)

    def _create_message(self, msg):
        text_part, html_part = self._parts
        multipart = _BatchMultipart(_subtype="alternative", encoding="utf-8",
                                    checked=self._checked)
        parts = (_filled(text_part, self._url), _filled(html_part, html.escape(self._url)))
        for part in parts:
            multipart.attach(part)
        # The generator would pick the boundary by compiling a regex around a random one
        # and searching the whole 15 KB text with it, once per reader (~0.2 ms, the
        # bench's profile); a random one of the same form, checked with a substring
        # search, is the same guarantee for a fraction of that. One per batch: each
        # message is whole by itself, and the Content-Type header is then folded once.
        boundary = self._checked.get(("boundary",))
        if boundary is None:
            boundary = self._checked[("boundary",)] = (
                "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "==")
        if not any(boundary in str(part._payload) for part in parts):
            multipart.set_boundary(boundary)
        return multipart


def neutral_subject(newsletter):
    return {"daily": _("Daily digest"), "weekly": _("Weekly digest"),
            "monthly": _("Monthly digest")}.get(newsletter.cadence, _("Digest"))


def render_content(issue):
    """Everything about the message that is the same for every reader; with an appeal,
    a second version for supporters (the thank-you instead of the ask), rendered once
    too, so a batch only picks one of two per reader."""
    newsletter = issue.newsletter
    base = settings.SITE_URL.rstrip("/")
    mirrors = mirror_links.current()
    instead = newsletter.mirror_links == newsletter.MirrorLinks.INSTEAD
    with translation.override(newsletter.language):
        if newsletter.discreet:
            subject = name = neutral_subject(newsletter)
        else:
            subject, name = issue.subject, newsletter.sender_name
        address = newsletter.sender_address or settings.DEFAULT_FROM_EMAIL
        articles = []
        for article in issue.articles():
            url = article_url(article, base)
            article_html, article_text = (article_parts(article, base) if issue.full_text
                                          else teaser_parts(article, url))
            articles.append({"html": article_html, "text": article_text, "url": url})
        appeal = letter_copy(issue.appeal, newsletter.language, _origin()) if (
            issue.appeal_id) else None
        context = {
            "issue": issue, "subject": subject, "body": issue.body, "discreet": newsletter.discreet,
            "articles": articles, "full_text": issue.full_text,
            "mirrors_url": base + reverse("mirrors:index"),
            "mirrors": mirrors, "unsubscribe_url": PLACEHOLDER,
            "appeal": appeal, "appeal_text": _text(appeal.text) if appeal else "",
            # The same page for everyone: the reader asks there for a sign-in link.
            "manage_url": _origin() + reverse("newsletters:manage"),
        }

        def rendered(supporter):
            html_body = render_to_string("newsletters/email/issue.html",
                                         {**context, "supporter": supporter})
            text_body = render_to_string("newsletters/email/issue.txt",
                                         {**context, "supporter": supporter})
            html_body = mirror_links.in_html(own_images_only(html_body, base), base,
                                             mirrors.freshest, instead)
            text_body = mirror_links.in_text(text_body, base, mirrors.freshest, instead)
            return INLINER.inline(html_body), text_body

        html_body, text_body = rendered(False)
        supporter_html, supporter_text = rendered(True) if appeal else ("", "")
    domain = urlsplit(base).hostname or "localhost"
    label = neutral_subject(newsletter) if newsletter.discreet else newsletter.name
    return IssueContent(
        subject=subject,
        from_email=formataddr((name, address)) if name else address,
        list_id=f"{label.replace('<', '').replace('>', '')} "
                f"<newsletter-{newsletter.pk}.{domain}>",
        html=html_body, text=text_body,
        supporter_html=supporter_html, supporter_text=supporter_text)


def _origin():
    return settings.SAMIZDAT_DONATION_ORIGIN.rstrip("/")


def _message(content, newsletter, address, unsubscribe_url, headers, connection,
             supporter=False, subject=None, prepared=True):
    """`prepared=False`: Django encodes the whole body for this reader (the reference
    the prepared path is tested against)."""
    html_body, text_body = content.for_reader(supporter)
    kind, extra = EmailMultiAlternatives, {}
    if prepared and settings.DEFAULT_CHARSET.lower() == "utf-8":
        kind, extra = _PreparedMessage, {"parts": content.mime_parts(supporter),
                                         "url": unsubscribe_url,
                                         "checked": content._headers}
    message = kind(
        subject=subject or content.subject,
        body=text_body.replace(PLACEHOLDER, unsubscribe_url),
        from_email=content.from_email, to=[address],
        reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
        headers=headers, connection=connection, **extra)
    message.attach_alternative(html_body.replace(PLACEHOLDER, html.escape(unsubscribe_url)),
                               "text/html")
    return message


_TOKEN_SLOT = "samizdat-token-slot"


def _unsubscribe_url(content, language, token):
    """The unsubscribe page's address with `token`: the URL resolved once per batch and
    language, the token put in (a token's characters are all ones a URL keeps as they
    are, so this is what reverse() would give)."""
    key = ("unsubscribe-url", language)
    around = content._headers.get(key)
    if around is None:
        with translation.override(language):
            url = _origin() + reverse("newsletters:unsubscribe", args=[_TOKEN_SLOT])
        around = content._headers[key] = url.split(_TOKEN_SLOT)
    if len(around) != 2 or not _URL_TOKEN.fullmatch(token):
        with translation.override(language):
            return _origin() + reverse("newsletters:unsubscribe", args=[token])
    return around[0] + token + around[1]


_URL_TOKEN = re.compile(r"[0-9A-Za-z_\-:]+")


def delivery_message_id(delivery_id, from_email, cache=None):
    """The same Message-ID every time one delivery is sent, opaque (it names neither the
    reader nor the outlet): a message handed over by a worker that died is never sent
    again (sending.py), and should one ever be, it arrives as the same message, which
    mailboxes that de-duplicate by Message-ID show once; the mail server's log finds
    an uncertain delivery by it."""
    local = "nl-" + salted_hmac("samizdat.newsletters.delivery-message-id",
                                str(delivery_id)).hexdigest()[:32]
    cache = {} if cache is None else cache
    domain = cache.get(("message-id domain", from_email))
    if domain is None:
        domain = cache[("message-id domain", from_email)] = (
            parseaddr(from_email)[1].rpartition("@")[2] or "localhost")
    return f"<{local}@{domain}>"


def message_for(content, subscription, connection=None, supporter=False, prepared=True,
                delivery_id=None):
    """One reader's message: the shared content plus their own unsubscribe link (and,
    for a supporter, the thank-you instead of the issue's appeal). With `delivery_id`,
    its Message-ID is that delivery's own, the same on a resend."""
    url = _unsubscribe_url(content, subscription.newsletter.language,
                           unsubscribe_token(subscription))
    unsubscribe = [f"<{url}>"]
    mailto = getattr(settings, "NEWSLETTERS_UNSUBSCRIBE_MAILTO", "")
    if mailto:
        unsubscribe.append(f"<mailto:{mailto}?subject=unsubscribe>")
    headers = {"List-Id": content.list_id, "List-Unsubscribe": ", ".join(unsubscribe),
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if delivery_id is not None:
        headers["Message-ID"] = delivery_message_id(delivery_id, content.from_email,
                                                    content._headers)
    return _message(content, subscription.newsletter, subscription.subscriber.email, url,
                    headers, connection, supporter, prepared=prepared)


def sample_unsubscribe_url(newsletter):
    """Where the unsubscribe link of a preview or a test leads: the unsubscribe page
    with a token that names no one (it says the link is not valid, and changes
    nothing)."""
    with translation.override(newsletter.language):
        return _origin() + reverse("newsletters:unsubscribe", args=["test"])


def trial_message_for(content, newsletter, address, connection=None, supporter=False):
    """The issue as a reader gets it, to a staff member's own address, "[Test]" in the
    subject. No subscription, no Delivery, no List-Unsubscribe: nothing is counted."""
    with translation.override(newsletter.language):
        subject = _("[Test] %(subject)s") % {"subject": content.subject}
    return _message(content, newsletter, address, sample_unsubscribe_url(newsletter),
                    {"List-Id": content.list_id}, connection, supporter, subject=subject)
