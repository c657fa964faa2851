"""Posting to a Telegram channel through the newsroom's own bot (Bot API: sendPhoto for
an article with a lead image, sendMessage otherwise).

Publishing an article records one TelegramPost per channel (page_published signal,
after the commit); nothing talks to Telegram in the publish request. The periodic
job `post_to_telegram` sends what is pending, at most TELEGRAM_BATCH posts per
channel per run, TELEGRAM_MIN_INTERVAL seconds apart (Telegram allows about 20
messages a minute in one channel). A 429 answer carries `parameters.retry_after`:
short waits are slept and retried, longer ones leave the post for a later run. The
post row is unique per channel and page, so editing, re-publishing or unpublishing
and publishing again never posts twice.

An article with a lead image goes out as a photo: Telegram fetches our own rendition
from SITE_URL and shows the headline, standfirst and links as its caption (at most
1,024 characters after entity parsing: the standfirst is shortened to fit). If
Telegram cannot use the picture (a 400 about the photo), the same post goes out as a
text message instead of failing.

The API base is TELEGRAM_API_BASE (default https://api.telegram.org), so tests and
newsrooms behind a relay can point it elsewhere.
"""

import html
import json
import logging
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import mirror_links
from .models import Issue, TelegramChannel, TelegramPost

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.telegram.org"
MAX_ATTEMPTS = 8
# core.telegram.org/bots/api#sendphoto: "0-1024 characters after entities parsing".
CAPTION_LIMIT = 1024
# Telegram shows photos at most 1280 px wide; a photo may be at most 10 MB.
PHOTO_RENDITION = "max-1280x1280"
# 400 answers that mean Telegram could not use the picture, not that the post is wrong.
PHOTO_PROBLEMS = ("wrong file identifier", "http url", "photo", "image",
                  "web page content")


class TelegramError(Exception):
    def __init__(self, description, code=None, retry_after=None):
        super().__init__(description)
        self.code = code
        self.retry_after = retry_after


def _setting(name, default):
    return getattr(settings, name, default)


def call(token, method, payload, timeout=20):
    """One Bot API call; the `result` on success, TelegramError otherwise (with
    `retry_after` when Telegram asks us to wait)."""
    base = _setting("TELEGRAM_API_BASE", DEFAULT_API_BASE).rstrip("/")
    request = urllib.request.Request(
        f"{base}/bot{token}/{method}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
    except (urllib.error.URLError, OSError) as error:
        raise TelegramError(f"unreachable: {getattr(error, 'reason', error)}") from error
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise TelegramError("not a Bot API answer") from error
    if answer.get("ok"):
        return answer.get("result")
    parameters = answer.get("parameters") or {}
    raise TelegramError(
        str(answer.get("description", "error"))[:250],
        answer.get("error_code"),
        parameters.get("retry_after"),
    )


# --- What is posted ---------------------------------------------------------------


def _links(path, mirrors):
    base = settings.SITE_URL.rstrip("/")
    on_site, on_mirror = html.escape(_("Read on the site")), html.escape(_("Mirror"))
    links = [f'<a href="{html.escape(base + path)}">{on_site}</a>']
    if mirrors.freshest:
        links.append(f'<a href="{html.escape(mirrors.freshest + path)}">{on_mirror}</a>')
    return " · ".join(links)


_TAG = re.compile(r"<[^>]*>")


def _units(text):
    return len(text.encode("utf-16-le")) // 2


def visible_length(markup):
    """What Telegram counts against a limit: the text after entity parsing, in UTF-16
    code units (its offsets and lengths are UTF-16; a character outside the BMP is 2)."""
    return _units(html.unescape(_TAG.sub("", markup)))


def _shorten(text, limit):
    """`text` cut to at most `limit` UTF-16 units, at a word if one is near, with "…"."""
    if _units(text) <= limit:
        return text
    if limit < 1:
        return ""
    cut = text[:limit - 1]
    while cut and _units(cut) > limit - 1:
        cut = cut[:-1]
    word = cut.rsplit(" ", 1)[0]
    if len(word) >= len(cut) * 2 // 3:
        cut = word
    return cut.rstrip(" ,;:.-—") + "…"


def article_text(article, mirrors, limit=None):
    """Headline, standfirst, a link to the site and one to the freshest mirror (HTML
    parse mode: only <b> and <a>, everything else escaped). With `limit` (a photo's
    caption), the standfirst and then the headline are shortened until it fits."""
    _site, _root, path = article.get_url_parts()
    with translation.override(article.locale.language_code):
        links = _links(path, mirrors)
    title, standfirst = article.title, article.standfirst or ""

    def compose(title, standfirst):
        parts = [f"<b>{html.escape(title)}</b>"] if title else []
        if standfirst:
            parts.append(html.escape(standfirst))
        parts.append(links)
        return "\n\n".join(parts)

    text = compose(title, standfirst)
    if limit is None or visible_length(text) <= limit:
        return text
    spare = limit - visible_length(compose(title, ""))
    if spare > 2:  # "\n\n" and at least one character of standfirst
        return compose(title, _shorten(standfirst, spare - 2))
    spare = limit - visible_length(compose("", ""))
    return compose(_shorten(title, spare - 2), "")


def photo_url(article):
    """The lead image's rendition as an absolute URL on SITE_URL (Telegram fetches it
    from there), or None for an article without one."""
    if article.lead_image is None:
        return None
    try:
        rendition = article.lead_image.get_rendition(PHOTO_RENDITION)
    except (OSError, ValueError):  # the original is missing or unreadable: post text
        logger.warning("Telegram: no rendition of image %s", article.lead_image_id)
        return None
    if urlsplit(rendition.url).scheme:
        return rendition.url
    return settings.SITE_URL.rstrip("/") + rendition.url


def issue_text(issue, mirrors):
    from .archive import archive_path

    with translation.override(issue.newsletter.language):
        parts = [f"<b>{html.escape(issue.subject)}</b>"]
        titles = [f"• {html.escape(article.title)}" for article in issue.articles()]
        if titles:
            parts.append("\n".join(titles))
        parts.append(_links(archive_path(issue.newsletter, issue), mirrors))
    return "\n\n".join(parts)


# --- Recording what to post ----------------------------------------------------------


def record_article(page):
    """Called after an article is published: one post per channel that wants it,
    recorded once. Articles first published before a channel was connected are not
    posted (re-publishing an old article is an edit)."""
    from samizdat.news.models import ArticlePage

    page = page.specific
    if not isinstance(page, ArticlePage) or not page.live:
        return 0
    language = page.locale.language_code
    channels = TelegramChannel.objects.filter(active=True, post_articles=True).filter(
        Q(language="") | Q(language=language)
    )
    if page.first_published_at is not None:
        channels = channels.filter(connected_at__lte=page.first_published_at)
    rows = [TelegramPost(channel=channel, page_id=page.pk) for channel in channels]
    TelegramPost.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def record_issues():
    """Sent issues of the newsletters channels follow, each once (sent after the
    channel was connected)."""
    made = 0
    for channel in TelegramChannel.objects.filter(active=True, newsletter__isnull=False):
        issues = Issue.objects.filter(
            newsletter_id=channel.newsletter_id,
            status=Issue.Status.SENT,
            sent_at__gte=channel.connected_at,
        ).exclude(
            pk__in=TelegramPost.objects.filter(channel=channel, issue__isnull=False).values(
                "issue_id"
            )
        )
        rows = [TelegramPost(channel=channel, issue=issue) for issue in issues]
        TelegramPost.objects.bulk_create(rows, ignore_conflicts=True)
        made += len(rows)
    return made


def on_page_published(sender, instance, **kwargs):
    """Wagtail's page_published: record after the commit (the page is in the database
    as readers see it), never call Telegram here."""
    page_id = instance.pk

    def record():
        from wagtail.models import Page

        page = Page.objects.filter(pk=page_id).first()
        if page is not None:
            record_article(page)

    transaction.on_commit(record)


# --- Sending -------------------------------------------------------------------------


def _due(now):
    return (
        TelegramPost.objects.filter(
            posted_at__isnull=True, attempts__lt=MAX_ATTEMPTS, channel__active=True
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(minutes=10)))
    )


def _message(post, mirrors):
    """[(Bot API method, its fields)] to try in order, or None when there is nothing to
    post: an article with a lead image is a photo with a caption, then (if Telegram
    cannot use the photo) a text message; anything else is a text message."""
    if post.issue_id:
        return [("sendMessage", {"text": issue_text(post.issue, mirrors)})]
    from samizdat.news.models import ArticlePage

    article = (ArticlePage.objects.live().select_related("lead_image", "locale")
               .filter(pk=post.page_id).first())
    if article is None:
        return None
    text = [("sendMessage", {"text": article_text(article, mirrors)})]
    photo = photo_url(article)
    if photo is None:
        return text
    caption = article_text(article, mirrors, limit=CAPTION_LIMIT)
    return [("sendPhoto", {"photo": photo, "caption": caption}), *text]


def photo_refused(error):
    """A 400 about the picture (Telegram could not fetch or read it)."""
    words = str(error).lower()
    return error.code == 400 and any(problem in words for problem in PHOTO_PROBLEMS)


def post_pending(now=None, sleep=time.sleep):
    """Send the due posts of every channel; returns how many went out."""
    batch = _setting("TELEGRAM_BATCH", 10)
    interval = _setting("TELEGRAM_MIN_INTERVAL", 3.0)
    longest_wait = _setting("TELEGRAM_MAX_RETRY_WAIT", 30)
    mirrors = mirror_links.current()
    posted = 0
    for channel in TelegramChannel.objects.filter(active=True):
        token = channel.bot_token
        ids = list(
            _due(now or timezone.now())
            .filter(channel=channel)
            .order_by("created", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        for pk in ids:
            moment = timezone.now()
            if not _due(moment).filter(pk=pk).update(claimed_at=moment):
                continue  # another run took it
            post = TelegramPost.objects.select_related("issue__newsletter").get(pk=pk)
            message = _message(post, mirrors)
            if message is None:  # unpublished before its turn: nothing to post, ever
                TelegramPost.objects.filter(pk=pk).update(
                    claimed_at=None, attempts=MAX_ATTEMPTS, error="article no longer live"
                )
                continue
            outcome = _send(channel, token, post, message, longest_wait, sleep)
            if outcome == "posted":
                posted += 1
                if interval:
                    sleep(interval)
            elif outcome == "stop":
                break  # the channel must wait: the rest stays for a later run
    return posted


def _send(channel, token, post, message, longest_wait, sleep):
    """Try the post's forms in order (a photo, then text); 429s and errors are handled
    the same for each."""
    ways = list(message)
    for _try in range(3 + len(ways) - 1):
        method, fields = ways[0]
        payload = {"chat_id": channel.chat_id, **fields, "parse_mode": "HTML"}
        try:
            result = call(token, method, payload)
        except TelegramError as error:
            if error.retry_after is not None and error.retry_after <= longest_wait:
                sleep(error.retry_after)
                continue
            if len(ways) > 1 and photo_refused(error):
                logger.info("Telegram channel %s: photo refused, posting text", channel.pk)
                ways.pop(0)
                continue
            wait = error.retry_after or 60 * 2 ** min(post.attempts, 6)
            TelegramPost.objects.filter(pk=post.pk).update(
                claimed_at=None,
                attempts=post.attempts + 1,
                error=str(error)[:300],
                next_attempt_at=timezone.now() + timedelta(seconds=wait),
            )
            # The token never reaches the log: only the channel and Telegram's words.
            logger.warning("Telegram channel %s: %s", channel.pk, str(error)[:200])
            return "stop"
        TelegramPost.objects.filter(pk=post.pk).update(
            posted_at=timezone.now(),
            claimed_at=None,
            error="",
            message_id=(result or {}).get("message_id"),
        )
        return "posted"
    TelegramPost.objects.filter(pk=post.pk).update(
        claimed_at=None, next_attempt_at=timezone.now() + timedelta(seconds=longest_wait)
    )
    return "stop"
