# ruff: noqa: F811 - pytest fixtures are imported, then named as arguments
"""The send path encodes each variant's body once per batch and puts each reader's link
into the encoded parts; the message must be the one Django builds from scratch for that
reader (prepared=False), byte for byte but for Message-ID, Date and the random MIME
boundary."""

import email
import email.policy
import re
from io import BytesIO

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from samizdat.newsletters.handover import BatchGenerator, dot_stuffed
from samizdat.newsletters.models import Issue, Newsletter, Subscriber, Subscription
from samizdat.newsletters.render import message_for, render_content
from tests.newsletters.test_issue_appeal import letter  # noqa: F401
from tests.newsletters.test_sending import article, weekly  # noqa: F401
from tests.support.rows import make_gift

pytestmark = pytest.mark.django_db
VARYING = re.compile(rb"^(Message-ID|Date): .*\r\n", re.M)
BOUNDARY_PARAM = re.compile(r'; boundary="[^"]*"')


def subscription(newsletter, email):
    return Subscription.objects.create(
        subscriber=Subscriber.objects.create(email=email),
        newsletter=newsletter,
        source="page",
        confirmed=timezone.now(),
    )


def canonical(mime):
    raw = mime.as_bytes(linesep="\r\n")
    return VARYING.sub(b"", raw).replace(mime.get_boundary().encode(), b"BOUNDARY")


def decoded(mime):
    # The prepared message picks its boundary when built, Django's when flattened.
    headers = [
        (k, BOUNDARY_PARAM.sub("", v)) for k, v in mime.items() if k not in ("Message-ID", "Date")
    ]
    return headers, [
        (part.get_content_type(), part.get_payload(decode=True))
        for part in mime.walk()
        if not part.is_multipart()
    ]


FOLDED = {}  # one cache for every message of the module, as for a batch


def batch_bytes(mime):
    out = BytesIO()
    BatchGenerator(out, mangle_from_=False, cache=FOLDED).flatten(mime, unixfrom=False,
                                                                  linesep="\r\n")
    return out.getvalue()


WIRE = {}  # the batch's shared state for the hand-over's byte template


def assert_same(content, sub, supporter=False, wire=True):
    # Both in the same second: the unsubscribe link's signature carries a timestamp.
    with time_machine.travel(timezone.now(), tick=False):
        fast = message_for(content, sub, supporter=supporter, delivery_id=sub.pk)
        slow = message_for(content, sub, supporter=supporter, prepared=False,
                           delivery_id=sub.pk)
    assert fast.body == slow.body and fast.alternatives == slow.alternatives
    fast_mime, slow_mime = fast.message(), slow.message()
    assert decoded(fast_mime) == decoded(slow_mime)
    assert canonical(fast_mime) == canonical(slow_mime)
    # What the SMTP hand-over writes (handover.BatchGenerator, headers folded once per
    # batch) is exactly what email's own generator writes.
    for mime in (fast_mime, slow_mime):
        assert batch_bytes(mime) == mime.as_bytes(linesep="\r\n")
    # What the hand-over sends for it, made from the batch's byte template: the same
    # bytes again (but for the Date, taken when each is made).
    data = fast.smtp_data(WIRE)
    if wire:
        assert data is not None
    if data is not None:
        assert VARYING.sub(b"", data) == VARYING.sub(b"", dot_stuffed(batch_bytes(fast_mime)))
        parsed = email.message_from_bytes(data[:-3], policy=email.policy.default)
        assert parsed["To"] == sub.subscriber.email
    link = f"{settings.SAMIZDAT_DONATION_ORIGIN.rstrip('/')}/".encode()
    text, html = (p.get_payload(decode=True) for p in fast_mime.get_payload())
    assert b"{{UNSUBSCRIBE}}" not in text + html and link in text and link in html
    return fast_mime


def test_an_ordinary_reader_gets_the_same_message(weekly, article):
    content = render_content(
        Issue.objects.create(newsletter=weekly, article=article, subject="Floods", body="Hello.")
    )
    first = assert_same(content, subscription(weekly, "reader@example.org"))
    # The second reader reuses the encoded parts and gets their own link, not the first's.
    second = assert_same(content, subscription(weekly, "other@example.org"))
    assert first.get_payload()[0].get_payload() != second.get_payload()[0].get_payload()


def test_a_supporter_gets_the_same_thank_you_message(weekly, letter):
    make_gift("supporter@example.org")
    content = render_content(
        Issue.objects.create(newsletter=weekly, subject="S", body="News.", appeal=letter)
    )
    assert content.supporter_html
    sub = subscription(weekly, "supporter@example.org")
    thanked = assert_same(content, sub, supporter=True)
    asked = assert_same(content, sub, supporter=False)
    assert b"Thank you for supporting" in thanked.get_payload()[0].get_payload(decode=True)
    assert b"Thank you for supporting" not in asked.get_payload()[0].get_payload(decode=True)


def test_a_discreet_newsletter_gets_the_same_message(article):
    quiet = Newsletter.objects.create(name="Digest", discreet=True, cadence="weekly")
    content = render_content(
        Issue.objects.create(newsletter=quiet, article=article, subject="Secret", body="News.")
    )
    assert_same(content, subscription(quiet, "quiet@example.org"))


def test_a_russian_newsletter_with_encoded_headers_gets_the_same_message(article):
    russian = Newsletter.objects.create(name="Еженедельный Самиздат", language="ru",
                                        sender_name="Самиздат, редакция",
                                        sender_address="news@samizdat.example",
                                        reply_to="desk@samizdat.example", cadence="weekly")
    content = render_content(Issue.objects.create(
        newsletter=russian, article=article, body="Доброе утро.",
        subject="Наводнение: вся история, от первой волны до последнего спасённого жителя"))
    for number in range(3):  # a non-ASCII address: flattened per reader, not templated
        assert_same(content, subscription(russian, f"читатель{number}@example.org"),
                    wire=False)
    assert_same(content, subscription(russian, "reader@example.org"))


def test_a_line_too_long_for_8bit_is_encoded_again_per_reader(weekly):
    # Over 998 bytes on one line: Django switches the part to quoted-printable, where
    # the placeholder may be folded; that part is then encoded for each reader.
    content = render_content(
        Issue.objects.create(newsletter=weekly, subject="Long", body="word " * 400)
    )
    mime = assert_same(content, subscription(weekly, "long@example.org"), wire=False)
    assert "quoted-printable" in {p["Content-Transfer-Encoding"] for p in mime.get_payload()}


def test_a_boundary_found_in_the_text_is_left_to_the_generator(weekly, monkeypatch):
    # The prepared message draws its boundary itself (cheaper than the generator's
    # regex over the whole text); one that occurs in the text must not be used.
    clash = "=" * 15 + f"{42:019d}" + "=="
    content = render_content(
        Issue.objects.create(newsletter=weekly, subject="B", body=f"--{clash}")
    )
    draws = iter([42, 43, 44, 45])  # ours first, then Django's and the generator's
    monkeypatch.setattr("samizdat.newsletters.render.random.randrange", lambda _n: next(draws))
    mime = message_for(content, subscription(weekly, "b@example.org")).message()
    mime.as_bytes(linesep="\r\n")
    assert mime.get_boundary() != clash and len(mime.get_payload()) == 2


def test_the_byte_template_gives_each_reader_their_own_message(weekly, article):
    # Addresses of every length and form: the template is used where it gives exactly
    # what the generator would (the test in assert_same), the generator elsewhere.
    content = render_content(
        Issue.objects.create(newsletter=weekly, article=article, subject="T", body="Hi.")
    )
    made = set()
    for address in ["a@b.example", "first.last+tag@mail.example.org",
                    "x" * 50 + "@example.org", "y" * 64 + "@" + "sub." * 20 + "example.org",
                    "ünïcode@example.org", "reader@bücher.example", '"quoted local"@example.org']:
        sub = subscription(weekly, address)
        data = message_for(content, sub, delivery_id=sub.pk).smtp_data(WIRE)
        plain = address.isascii() and '"' not in address and len(address) < 60
        assert_same(content, sub, wire=plain)
        if data is not None:
            made.add(data)
    assert len(made) >= 3  # each its own message, not the first one again
