"""Full text that survives a block: every link to the site also leads to the freshest
active mirror (or only there), the footer lists the mirrors and the onion address,
CSS is inlined, and no image comes from another host. Messages go through a real SMTP
server on loopback and are parsed with Python's email package."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from samizdat.mirrors.models import Mirror
from samizdat.newsletters.models import IssueArticle, Newsletter
from samizdat.newsletters.render import own_images_only
from tests.news.discovery_factories import author, publish_article, section
from tests.newsletters.test_sending import (  # noqa: F401
    _run_on_commit,
    article,
    issue_of,
    send,
    subscribe,
    weekly,
)
from tests.smtp import parts, smtp_inbox  # noqa: F401

pytestmark = pytest.mark.django_db
ONION = "http://" + "a" * 56 + ".onion"


@pytest.fixture
def mirrors(settings):
    settings.SAMIZDAT_ONION_URL = ONION
    now = timezone.now()
    old = Mirror.objects.create(
        url="https://old-mirror.example/", kind="https", created_at=now - timedelta(days=30)
    )
    fresh = Mirror.objects.create(
        url="https://fresh-mirror.example/", kind="https", created_at=now - timedelta(days=40)
    )
    Mirror.objects.filter(pk=fresh.pk).update(
        last_checked_at=now - timedelta(hours=1), last_check_result="OK   fresh (20 files)"
    )
    Mirror.objects.filter(pk=old.pk).update(
        last_checked_at=now, last_check_result="STALE  old (signed 9 days ago)"
    )
    blocked = Mirror.objects.create(
        url="https://blocked-mirror.example/", kind="https", status="blocked"
    )
    return {"fresh": fresh, "old": old, "blocked": blocked}


def hrefs(html):
    return re.findall(r'href="([^"]+)"', html)


def test_each_site_link_is_followed_by_the_same_path_on_the_freshest_mirror(
        smtp_inbox, weekly, article, mirrors,  # noqa: F811
):
    subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, article))
    text, html = parts(smtp_inbox.wait_for(1)[0])
    site_url = settings.SITE_URL + article.url
    mirror_url = "https://fresh-mirror.example" + article.url
    links = hrefs(html)
    # Beside: the site link stays, and the mirror's copy of the same path follows it.
    assert site_url in links and mirror_url in links
    assert links.index(mirror_url) == links.index(site_url) + 1
    assert f"{site_url} (mirror: {mirror_url})" in text
    assert "https://old-mirror.example" + article.url not in html  # checked, not current


def test_the_newsletter_can_send_mirror_links_instead_of_site_links(
        smtp_inbox, weekly, article, mirrors,  # noqa: F811
):
    weekly.mirror_links = Newsletter.MirrorLinks.INSTEAD
    weekly.save()
    subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, article))
    text, html = parts(smtp_inbox.wait_for(1)[0])
    links = hrefs(html)
    assert "https://fresh-mirror.example" + article.url in links
    # Only the unsubscribe link needs the live site (a static mirror cannot unsubscribe).
    assert [link for link in links if link.startswith(settings.SITE_URL)] == [
        link for link in links if "/newsletters/unsubscribe/" in link
    ]
    assert settings.SITE_URL + article.url not in text
    assert "https://fresh-mirror.example" + article.url in text
    # Images stay on our own host: a mirror is somebody else's server.
    sources = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert sources and all(src.startswith(settings.SITE_URL + "/") for src in sources)


def test_the_footer_lists_active_mirrors_and_the_onion_address(
        smtp_inbox, weekly, article, mirrors,  # noqa: F811
):
    subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, article))
    text, html = parts(smtp_inbox.wait_for(1)[0])
    for part in (text, html):
        assert "https://fresh-mirror.example/" in part
        assert "https://old-mirror.example/" in part
        assert ONION in part
        assert "blocked-mirror.example" not in part


def test_without_mirrors_links_go_to_the_site_only(smtp_inbox, weekly, article):  # noqa: F811
    subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, article))
    text, html = parts(smtp_inbox.wait_for(1)[0])
    assert "(mirror" not in text
    assert settings.SITE_URL + article.url in hrefs(html)


def test_css_is_inlined_and_no_style_block_is_left(smtp_inbox, weekly, article):  # noqa: F811
    subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, article))
    _text, html = parts(smtp_inbox.wait_for(1)[0])
    assert "<style" not in html
    assert re.search(r'<body[^>]*style="[^"]*font-family: Georgia', html)
    assert re.search(r'<blockquote|<img[^>]*style="[^"]*max-width: 100%', html)


def test_several_articles_in_full_or_as_teasers(smtp_inbox, weekly, article):  # noqa: F811
    second = publish_article(
        section(),
        "Bridge reopens",
        authors=[author("bo", "Bo")],
        standfirst="Traffic flows again.",
        body=[{"type": "paragraph", "value": "<p>Engineers signed it off at noon.</p>"}],
    )
    subscribe(weekly, "reader@example.org")
    full = issue_of(weekly, article, subject="Full")
    IssueArticle.objects.create(issue=full, article=second, sort_order=0)
    send(full)
    teaser = issue_of(weekly, article, subject="Teasers")
    teaser.full_text = False
    teaser.save()
    IssueArticle.objects.create(issue=teaser, article=second, sort_order=0)
    send(teaser)
    by_subject = {m["Subject"]: parts(m) for m in smtp_inbox.wait_for(2)}
    for part in by_subject["Full"]:
        assert "The last paragraph of the story." in part
        assert "Engineers signed it off at noon." in part
        assert part.index("Dam breaks upstream") < part.index("Bridge reopens")
    for part in by_subject["Teasers"]:
        assert "Villages evacuated overnight." in part and "Traffic flows again." in part
        assert "The last paragraph of the story." not in part
        assert "Engineers signed it off at noon." not in part
        assert settings.SITE_URL + second.url in part


def test_an_image_from_another_host_is_dropped_for_its_alt_text():
    base = "https://site.example"
    markup = (
        '<p><img src="https://site.example/media/a.jpg" alt="ours">'
        '<img src="https://tracker.example/p.gif" alt="theirs">'
        '<img src="https://site.example.evil/x.gif" alt="lookalike"></p>'
    )
    kept = own_images_only(markup, base)
    assert 'src="https://site.example/media/a.jpg"' in kept
    assert "tracker.example" not in kept and "site.example.evil" not in kept
    assert "theirs" in kept and "lookalike" in kept


def test_a_discreet_issue_keeps_its_subject_out_of_the_html_title(smtp_inbox, article):  # noqa: F811
    discreet = Newsletter.objects.create(name="The Samizdat Daily", cadence="daily",
                                         discreet=True)
    subscribe(discreet, "reader@example.org")
    send(issue_of(discreet, article, subject="Floods: what the regime hides"))
    message = smtp_inbox.wait_for(1)[0]
    _text, html = parts(message)
    assert message["Subject"] == "Daily digest"
    assert "<title>Daily digest</title>" in html
    assert "what the regime hides" not in html
