"""Telegram: a loopback HTTP server answers in the shapes of the Bot API (sendMessage's
and sendPhoto's Message, error answers, 429 with parameters.retry_after, and the 400s
Telegram gives for bad HTML or an overlong caption); the periodic job posts each
published article once, never in the publish request, and waits when told to."""

import html
import json
import threading
import time
from datetime import timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from samizdat.mirrors.models import Mirror
from samizdat.newsletters import telegram
from samizdat.newsletters.models import Issue, Newsletter, TelegramChannel, TelegramPost
from tests.news.discovery_factories import author, newsroom, picture, publish_article, section

pytestmark = pytest.mark.django_db
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
# core.telegram.org/bots/api#formatting-options: the tags HTML parse mode accepts.
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code",
                 "pre", "span", "tg-spoiler", "tg-emoji", "blockquote"}


class TelegramHtml(HTMLParser):
    """Parses a text as Telegram's HTML mode does, enough to refuse what it refuses (an
    unknown tag, a bare "&" or "<", an unclosed tag) and to count the text left after
    entity parsing, in UTF-16 units as Telegram counts."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.text, self.open, self.error = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag not in TELEGRAM_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.error = f'Unexpected end tag "{tag}"'

    def handle_data(self, data):
        if "&" in data or "<" in data or ">" in data:
            self.error = "Unsupported character in text"
        self.text.append(data)

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.error = f'Unsupported entity "{name}"'
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name):
        self.text.append(html.unescape(f"&#{name};"))

    @classmethod
    def check(cls, markup):
        """(error or None, visible length)."""
        parser = cls()
        parser.feed(markup)
        parser.close()
        if parser.open and not parser.error:
            parser.error = f'Can\'t find end tag for start tag "{parser.open[-1]}"'
        return parser.error, len("".join(parser.text).encode("utf-16-le")) // 2


class BotApi:
    """What Telegram's Bot API answers (core.telegram.org/bots/api#making-requests):
    {"ok": true, "result": …} or {"ok": false, "error_code": …, "description": …,
    "parameters": {"retry_after": …}}."""

    def __init__(self):
        self.requests = []  # (path, json body, monotonic time)
        self.script = []  # answers to give first: (status, body)
        self.next_id = 100
        self.lock = threading.Lock()

    def answer(self, path, body):
        with self.lock:
            self.requests.append((path, body, time.monotonic()))
            if not path.startswith(f"/bot{TOKEN}/"):
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            if self.script:
                return self.script.pop(0)
            method = path.rsplit("/", 1)[-1]
            field, limit = {"sendMessage": ("text", 4096),
                            "sendPhoto": ("caption", 1024)}.get(method, (None, 0))
            if field is None:
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if method == "sendPhoto" and not body.get("photo"):
                return 400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: there is no photo in the request"}
            error, length = TelegramHtml.check(body.get(field, ""))
            if error and body.get("parse_mode") == "HTML":
                return 400, {"ok": False, "error_code": 400,
                             "description": f"Bad Request: can't parse entities: {error}"}
            if length > limit:
                what = "message caption" if field == "caption" else "message text"
                return 400, {"ok": False, "error_code": 400,
                             "description": f"Bad Request: {what} is too long"}
            self.next_id += 1
            message = {"message_id": self.next_id, "date": int(time.time()),
                       "chat": {"id": -1001234567890, "type": "channel", "title": "Samizdat"}}
            if method == "sendPhoto":
                message["caption"] = body.get("caption", "")
                message["photo"] = [  # the sizes Telegram made of it (PhotoSize)
                    {"file_id": f"AgAD{self.next_id}s", "file_unique_id": f"s{self.next_id}",
                     "width": 90, "height": 51, "file_size": 1200},
                    {"file_id": f"AgAD{self.next_id}m", "file_unique_id": f"m{self.next_id}",
                     "width": 1280, "height": 720, "file_size": 64000}]
            else:
                message["text"] = body["text"]
            return 200, {"ok": True, "result": message}

    def sent(self, method="sendMessage"):
        return [body for path, body, _t in self.requests if path.endswith(f"/{method}")]

    def photos(self):
        return self.sent("sendPhoto")


@pytest.fixture
def bot_api(settings):
    api = BotApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            status, body = api.answer(self.path, json.loads(self.rfile.read(length)))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TELEGRAM_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TELEGRAM_MIN_INTERVAL = 0
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def channel(db):
    newsroom()
    found = TelegramChannel(name="Samizdat", chat_id="@samizdat_news", language="en")
    found.bot_token = TOKEN
    found.save()
    TelegramChannel.objects.filter(pk=found.pk).update(
        connected_at=timezone.now() - timedelta(minutes=1))
    return found


@pytest.fixture(autouse=True)
def _on_commit_now(monkeypatch):
    monkeypatch.setattr(telegram.transaction, "on_commit", lambda callback: callback())


def run_job():
    call_command("post_to_telegram", verbosity=0)


def story(title="Dam breaks upstream", language="en", **kwargs):
    kwargs.setdefault("standfirst", "Villages <evacuated> overnight.")
    return publish_article(section(language=language), title, authors=[author("ana", "Ana")],
                           **kwargs)


def test_a_published_article_is_posted_once_with_site_and_mirror_links(bot_api, channel,
                                                                        settings):
    Mirror.objects.create(url="https://mirror-one.example/", kind="https")
    article = story()
    assert bot_api.requests == []  # publishing called no one
    run_job()
    [message] = bot_api.sent()
    assert message["chat_id"] == "@samizdat_news" and message["parse_mode"] == "HTML"
    assert "<b>Dam breaks upstream</b>" in message["text"]
    assert "Villages &lt;evacuated&gt; overnight." in message["text"]
    assert f'href="{settings.SITE_URL}{article.url}"' in message["text"]
    assert f'href="https://mirror-one.example{article.url}"' in message["text"]
    post = TelegramPost.objects.get()
    assert post.page_id == article.pk and post.posted_at and post.message_id == 101
    run_job()
    assert len(bot_api.sent()) == 1


def test_editing_or_unpublishing_and_republishing_does_not_post_again(bot_api, channel):
    article = story()
    run_job()
    article.title = "Dam breaks upstream (updated)"
    article.save_revision().publish()
    article.unpublish()
    article.refresh_from_db()
    article.save_revision().publish()
    run_job()
    assert len(bot_api.sent()) == 1
    assert TelegramPost.objects.count() == 1


def test_a_429_is_retried_after_retry_after(bot_api, channel):
    bot_api.script = [(429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}})]
    story()
    run_job()
    first, second = [t for path, _b, t in bot_api.requests]
    assert second - first >= 1.0
    assert len(bot_api.sent()) == 2 and TelegramPost.objects.get().posted_at


def test_a_long_retry_after_leaves_the_post_for_a_later_run(bot_api, channel, settings):
    bot_api.script = [(429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 120",
                             "parameters": {"retry_after": 120}})]
    story("First")
    story("Second")
    run_job()
    assert len(bot_api.sent()) == 1  # the channel waits: the second is not tried either
    post = TelegramPost.objects.order_by("pk").first()
    assert post.posted_at is None and post.next_attempt_at > timezone.now()
    run_job()
    assert len(bot_api.sent()) == 2  # the second went out; the first still waits
    with time_machine.travel(timezone.now() + timedelta(seconds=121)):
        run_job()
    assert TelegramPost.objects.filter(posted_at__isnull=True).count() == 0
    assert len(bot_api.sent()) == 3


def test_an_error_is_recorded_without_the_token_and_nothing_is_posted(bot_api, channel,
                                                                      caplog):
    bot_api.script = [(400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: chat not found"})]
    story()
    run_job()
    post = TelegramPost.objects.get()
    assert post.posted_at is None and post.attempts == 1
    assert "chat not found" in post.error
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


def test_other_languages_and_older_articles_are_not_posted(bot_api, channel):
    story("Русская новость", language="ru")
    old = story("Old story", published_at=timezone.now() - timedelta(days=3))
    TelegramPost.objects.all().delete()
    old.save_revision().publish()  # an edit of an article from before the channel
    run_job()
    assert bot_api.sent() == []


def test_a_sent_issue_is_posted_when_the_channel_follows_its_newsletter(bot_api, channel):
    letter = Newsletter.objects.create(name="Morning Brief")
    channel.newsletter = letter
    channel.post_articles = False
    channel.save()
    article = story()
    Issue.objects.create(newsletter=letter, subject="Monday's brief", article=article,
                         status=Issue.Status.SENT, sent_at=timezone.now())
    Issue.objects.create(newsletter=letter, subject="A draft", body="x")
    run_job()
    run_job()
    [message] = bot_api.sent()
    assert "<b>Monday&#x27;s brief</b>" in message["text"]
    assert "Dam breaks upstream" in message["text"]
    assert "/newsletters/morning-brief/" in message["text"]


def test_the_token_is_stored_encrypted(channel):
    row = TelegramChannel.objects.get(pk=channel.pk)
    assert TOKEN not in row.token_ciphertext and row.token_ciphertext
    assert row.bot_token == TOKEN


def test_staff_connect_a_channel_in_the_admin(client, django_user_model, settings, db):
    from django.contrib.auth.models import Permission

    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    staff = django_user_model.objects.create_user(username="ed", password="x")
    staff.user_permissions.add(*Permission.objects.filter(codename__in=[
        "access_admin", "add_telegramchannel", "change_telegramchannel",
        "view_telegramchannel"]))
    client.force_login(staff)
    url = "/admin/snippets/newsletters/telegramchannel/add/"
    bad = client.post(url, {"name": "Channel", "bot_token": "not-a-token",
                            "chat_id": "@samizdat_news", "post_articles": "on",
                            "active": "on"})
    assert bad.status_code == 200 and not TelegramChannel.objects.exists()
    client.post(url, {"name": "Channel", "bot_token": TOKEN, "chat_id": "@samizdat_news",
                      "post_articles": "on", "active": "on"})
    saved = TelegramChannel.objects.get()
    assert saved.bot_token == TOKEN
    edit = client.get(f"/admin/snippets/newsletters/telegramchannel/edit/{saved.pk}/")
    assert TOKEN not in edit.content.decode()  # never shown again
    client.post(f"/admin/snippets/newsletters/telegramchannel/edit/{saved.pk}/",
                {"name": "Renamed", "bot_token": "", "chat_id": "-1001234567890",
                 "post_articles": "on", "active": "on"})
    saved.refresh_from_db()
    assert (saved.name, saved.bot_token) == ("Renamed", TOKEN)


# --- Photos (sendPhoto) --------------------------------------------------------------


def media_file(settings, url):
    """The file behind a URL on SITE_URL under MEDIA_URL (what Telegram would fetch)."""
    assert url.startswith(settings.SITE_URL.rstrip("/") + settings.MEDIA_URL)
    relative = urlsplit(url).path.removeprefix(settings.MEDIA_URL)
    return Path(settings.MEDIA_ROOT) / relative


def test_an_article_with_a_lead_image_is_posted_as_a_photo_with_a_caption(bot_api, channel,
                                                                          settings):
    from PIL import Image

    Mirror.objects.create(url="https://mirror-one.example/", kind="https")
    article = story(image=picture("Flooded street", size=(2400, 1350)))
    run_job()
    assert bot_api.sent() == []
    [photo] = bot_api.photos()
    assert photo["chat_id"] == "@samizdat_news" and photo["parse_mode"] == "HTML"
    with Image.open(media_file(settings, photo["photo"])) as image:  # our own rendition
        assert image.width <= 1280 and image.format == "JPEG"
    assert photo["caption"].startswith("<b>Dam breaks upstream</b>\n\n")
    assert "Villages &lt;evacuated&gt; overnight." in photo["caption"]
    assert f'href="{settings.SITE_URL}{article.url}"' in photo["caption"]
    assert f'href="https://mirror-one.example{article.url}"' in photo["caption"]
    post = TelegramPost.objects.get()
    assert post.posted_at and post.message_id == 101 and post.error == ""
    run_job()
    assert len(bot_api.photos()) == 1


def test_a_long_standfirst_is_shortened_to_telegrams_caption_limit(bot_api, channel,
                                                                   settings):
    Mirror.objects.create(url="https://mirror-one.example/", kind="https")
    # Escaping makes "<", ">" and "&" five characters in the markup but one on screen;
    # an emoji is two UTF-16 units: both are counted as Telegram counts them.
    standfirst = ("Rivers & dams <rising> 🌊 " * 120).strip()
    article = story(image=picture(), standfirst=standfirst)
    run_job()
    [photo] = bot_api.photos()  # the fake refuses captions over 1024 after parsing
    assert TelegramPost.objects.get().posted_at is not None
    error, length = TelegramHtml.check(photo["caption"])
    assert error is None and 900 < length <= 1024
    assert photo["caption"].startswith("<b>Dam breaks upstream</b>\n\nRivers &amp; dams")
    assert "…\n\n<a href=" in photo["caption"]
    assert f'href="https://mirror-one.example{article.url}"' in photo["caption"]


def test_a_429_on_a_photo_is_retried_after_retry_after(bot_api, channel):
    bot_api.script = [(429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}})]
    story(image=picture())
    run_job()
    first, second = [t for _path, _b, t in bot_api.requests]
    assert second - first >= 1.0
    assert len(bot_api.photos()) == 2 and bot_api.sent() == []
    assert TelegramPost.objects.get().posted_at


def test_a_long_retry_after_on_a_photo_leaves_it_for_a_later_run(bot_api, channel):
    bot_api.script = [(429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 120",
                             "parameters": {"retry_after": 120}})]
    story(image=picture())
    run_job()
    post = TelegramPost.objects.get()
    assert post.posted_at is None and post.next_attempt_at > timezone.now()
    assert bot_api.sent() == []  # no text message instead: the channel must wait
    with time_machine.travel(timezone.now() + timedelta(seconds=121)):
        run_job()
    assert len(bot_api.photos()) == 2 and TelegramPost.objects.get().posted_at


def test_a_photo_telegram_cannot_fetch_is_posted_as_text_instead(bot_api, channel,
                                                                 settings):
    bot_api.script = [(400, {"ok": False, "error_code": 400, "description":
                             "Bad Request: failed to get HTTP URL content"})]
    article = story(image=picture())
    run_job()
    assert len(bot_api.photos()) == 1
    [message] = bot_api.sent()
    assert "<b>Dam breaks upstream</b>" in message["text"]
    assert f'href="{settings.SITE_URL}{article.url}"' in message["text"]
    post = TelegramPost.objects.get()
    assert post.posted_at and post.message_id == 101


def test_another_error_on_a_photo_is_recorded_and_retried_later(bot_api, channel):
    bot_api.script = [(400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: chat not found"})]
    story(image=picture())
    run_job()
    post = TelegramPost.objects.get()
    assert post.posted_at is None and post.attempts == 1 and "chat not found" in post.error
    assert bot_api.sent() == []


def test_editing_or_unpublishing_an_article_with_a_photo_does_not_post_again(bot_api,
                                                                             channel):
    article = story(image=picture())
    run_job()
    article.title = "Dam breaks upstream (updated)"
    article.lead_image = picture("Another picture")
    article.save_revision().publish()
    article.unpublish()
    article.refresh_from_db()
    article.save_revision().publish()
    run_job()
    assert len(bot_api.photos()) == 1 and bot_api.sent() == []
    assert TelegramPost.objects.count() == 1


def test_key_rotation_re_encrypts_the_bot_token_and_posting_still_works(bot_api, channel,
                                                                       settings):
    from io import StringIO

    from cryptography.fernet import Fernet

    old_key, new_key = settings.SAMIZDAT_DONOR_KEYS[0], Fernet.generate_key().decode()
    settings.SAMIZDAT_DONOR_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_donor_key", stdout=out)
    assert ("newsletters.TelegramChannel.token_ciphertext: 1 checked, 1 re-encrypted"
            in out.getvalue())
    settings.SAMIZDAT_DONOR_KEYS = [new_key]  # the old key is gone
    assert TelegramChannel.objects.get(pk=channel.pk).bot_token == TOKEN
    story()
    run_job()
    assert len(bot_api.sent()) == 1 and TelegramPost.objects.get().posted_at
