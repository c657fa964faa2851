"""Every sent issue is published: the newsletter's archive and issue pages, its RSS and
Atom feeds (read with feedparser), the archive sitemap and the static export; drafts and
scheduled issues stay private. The pages pass the Nu Html Checker and axe-core."""

import re
from urllib.parse import urlsplit

import feedparser
import pytest
from django.conf import settings
from django.utils import timezone

from samizdat.newsletters.models import Issue, IssueArticle, Newsletter
from tests.mirrors.conftest import signing_key  # noqa: F401
from tests.news.discovery_factories import author, newsroom, publish_article, section
from tests.validators import axe_violations, vnu_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(db):
    newsroom()
    story = publish_article(section(), "Dam breaks upstream", authors=[author("ana", "Ana")],
                            standfirst="Villages evacuated overnight.")
    other = publish_article(section(), "Bridge reopens", authors=[author("ana", "Ana")],
                            standfirst="Traffic flows again.")
    letter = Newsletter.objects.create(name="Morning Brief", cadence="daily",
                                       description="The day's news, every morning.")
    sent = Issue.objects.create(newsletter=letter, subject="Floods and a bridge",
                                body="Good morning.", article=story,
                                status=Issue.Status.SENT, sent_at=timezone.now())
    IssueArticle.objects.create(issue=sent, article=other, sort_order=0)
    draft = Issue.objects.create(newsletter=letter, subject="Secret draft", body="Not yet.")
    scheduled = Issue.objects.create(newsletter=letter, subject="Tomorrow's issue", body="x",
                                     status=Issue.Status.SCHEDULED,
                                     scheduled_for=timezone.now() + timezone.timedelta(days=1))
    return {"letter": letter, "sent": sent, "draft": draft, "scheduled": scheduled,
            "story": story, "other": other}


def test_a_sent_issue_is_listed_and_shown_drafts_are_not(client, archive):
    letter = archive["letter"]
    assert letter.slug == "morning-brief"
    listing = client.get("/newsletters/morning-brief/")
    assert listing.status_code == 200
    html = listing.content.decode()
    sent_url = f"/newsletters/morning-brief/{archive['sent'].pk}/"
    assert sent_url in html and "Floods and a bridge" in html
    assert "Secret draft" not in html and "Tomorrow" not in html
    page = client.get(sent_url).content.decode()
    assert "Good morning." in page
    for article in (archive["story"], archive["other"]):
        assert f'href="{article.url}"' in page and article.title in page
    for hidden in (archive["draft"], archive["scheduled"]):
        assert client.get(f"/newsletters/morning-brief/{hidden.pk}/").status_code == 404
    assert client.get("/newsletters/no-such-letter/").status_code == 404
    # The newsletters page links each archive.
    assert 'href="/newsletters/morning-brief/"' in client.get("/newsletters/").content.decode()


def test_the_archive_pages_set_no_cookie(client, archive):
    for path in ("/newsletters/morning-brief/",
                 f"/newsletters/morning-brief/{archive['sent'].pk}/"):
        response = client.get(path)
        assert not response.cookies, path


def test_the_feeds_carry_the_sent_issues(client, archive):
    for kind in ("rss", "atom"):
        response = client.get(f"/newsletters/morning-brief/{kind}/")
        assert response.status_code == 200
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        assert feed.feed.title == "Morning Brief"
        [entry] = feed.entries
        assert entry.title == "Floods and a bridge"
        assert urlsplit(entry.link).path == f"/newsletters/morning-brief/{archive['sent'].pk}/"
        summary = entry.get("summary", "") or entry.content[0].value
        assert "Good morning." in summary
        assert "http://testserver" + archive["other"].url in summary


def test_a_newsletter_with_nothing_sent_has_no_feed_yet(client, archive):
    """An empty feed would be dated when it is read, so exports of one database differ."""
    Newsletter.objects.create(name="Evening Brief", cadence="daily")
    for kind in ("rss", "atom"):
        assert client.get(f"/newsletters/evening-brief/{kind}/").status_code == 404
    page = client.get("/newsletters/evening-brief/").content.decode()
    assert "/evening-brief/rss/" not in page and "/evening-brief/atom/" not in page
    assert 'href="/newsletters/morning-brief/rss/"' in client.get(
        "/newsletters/morning-brief/").content.decode()


def test_the_archive_sitemap_lists_issues_on_the_site_url(client, archive):
    response = client.get("/newsletters-sitemap.xml")
    assert response.status_code == 200
    locations = re.findall(r"<loc>([^<]+)</loc>", response.content.decode())
    base = settings.SITE_URL.rstrip("/")
    assert sorted(locations) == sorted([
        f"{base}/newsletters/morning-brief/",
        f"{base}/newsletters/morning-brief/{archive['sent'].pk}/"])


def test_robots_txt_leads_a_crawler_to_the_archive_and_its_issues(client, archive,
                                                                   settings):
    """As a crawler finds them: robots.txt read by urllib.robotparser, each sitemap it
    names fetched and parsed as XML (sitemaps.org's namespace)."""
    import urllib.robotparser
    import xml.etree.ElementTree as ET

    settings.SITE_URL = "https://news.example.org"
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(client.get("/robots.txt").content.decode().splitlines())
    named = robots.site_maps() or []
    assert "https://news.example.org/newsletters-sitemap.xml" in named
    assert "https://news.example.org/sitemap.xml" in named
    locations = set()
    for url in named:
        assert url.startswith(settings.SITE_URL + "/")
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200
        tree = ET.fromstring(response.content)
        namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
        assert tree.tag in (f"{namespace}urlset", f"{namespace}sitemapindex")
        locations |= {loc.text for loc in tree.iter(f"{namespace}loc")}
    issue_url = f"https://news.example.org/newsletters/morning-brief/{archive['sent'].pk}/"
    assert {"https://news.example.org/newsletters/morning-brief/", issue_url} <= locations
    assert robots.can_fetch("*", issue_url)
    for unsent in (archive["draft"], archive["scheduled"]):
        assert f"/newsletters/morning-brief/{unsent.pk}/" not in {urlsplit(loc).path
                                                              for loc in locations}


def test_a_russian_newsletters_archive_lives_under_ru(client, archive):
    letter = Newsletter.objects.create(name="Утренний выпуск", language="ru")
    assert letter.slug == "newsletter"
    from samizdat.newsletters.archive import archive_path

    assert archive_path(letter) == "/ru/newsletters/newsletter/"
    assert client.get("/ru/newsletters/newsletter/").status_code == 200


def test_a_reserved_slug_is_refused(archive):
    from django.core.exceptions import ValidationError

    letter = Newsletter(name="Confirm", slug="confirm")
    with pytest.raises(ValidationError):
        letter.full_clean()
    assert Newsletter.objects.create(name="Unsubscribe").slug == "unsubscribe-2"


def test_the_static_export_carries_the_archive(archive, signing_key, tmp_path):  # noqa: F811
    from tests.mirrors.conftest import export

    export(tmp_path / "out")
    out = tmp_path / "out" / "newsletters" / "morning-brief"
    issue_page = out / str(archive["sent"].pk) / "index.html"
    assert "Floods and a bridge" in (out / "index.html").read_text()
    assert "Good morning." in issue_page.read_text()
    assert "Secret draft" not in "".join(p.read_text(errors="ignore")
                                         for p in out.rglob("*") if p.is_file())
    assert not (out / str(archive["draft"].pk)).exists()
    feeds = {p.relative_to(out).parts[0] for p in out.iterdir() if not p.name[0].isdigit()}
    assert {"rss", "atom"} <= feeds


def test_the_archive_pages_pass_the_nu_html_checker(client, archive):
    pages = {path: client.get(path).content.decode()
             for path in ("/newsletters/morning-brief/",
                          f"/newsletters/morning-brief/{archive['sent'].pk}/")}
    errors = vnu_errors(pages)
    assert errors == [], "\n".join(errors)


@pytest.mark.django_db(transaction=True)
def test_the_archive_pages_have_no_axe_violation(browser, live_server, archive):
    context = browser.new_context(viewport={"width": 390, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found = []
    try:
        for path in ("/newsletters/morning-brief/",
                     f"/newsletters/morning-brief/{archive['sent'].pk}/"):
            page.goto(live_server.url + path)
            found += [f"{path}: {v}" for v in axe_violations(page)]
    finally:
        context.close()
    assert found == [], "\n".join(found)
