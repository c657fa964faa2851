"""Every sent issue, published on the site: an archive per newsletter, its RSS and Atom
feeds, a sitemap, and (through mirror_export.py) the static export.

An archived issue shows its text and each article's title, standfirst and link: the
articles themselves are pages of the site. Only *sent* issues are public; a draft,
scheduled or half-sent issue is a 404.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join, linebreaks

from .models import Issue, Newsletter

FEED_ITEMS = 20


def sent_issues(newsletter):
    return newsletter.issues.filter(status=Issue.Status.SENT).order_by("-sent_at", "-pk")


def archive_path(newsletter, issue=None):
    """The archive's URL in the newsletter's own language (its readers' prefix)."""
    with translation.override(newsletter.language):
        if issue is None:
            return reverse("newsletters:archive", args=[newsletter.slug])
        return reverse("newsletters:archive_issue", args=[newsletter.slug, issue.pk])


def feed_paths(newsletter):
    """RSS and Atom paths, or none before the first sent issue: an empty feed would carry
    the time it was read as its date, so two exports of one database would differ."""
    if not sent_issues(newsletter).exists():
        return []
    with translation.override(newsletter.language):
        return [
            reverse("newsletters:archive_rss", args=[newsletter.slug]),
            reverse("newsletters:archive_atom", args=[newsletter.slug]),
        ]


def archive(request, slug):
    newsletter = get_object_or_404(Newsletter, slug=slug)
    return render(
        request,
        "newsletters/archive.html",
        {
            "newsletter": newsletter,
            "issues": sent_issues(newsletter),
            "feeds": feed_paths(newsletter),
        },
    )


def archive_issue(request, slug, pk):
    newsletter = get_object_or_404(Newsletter, slug=slug)
    issue = get_object_or_404(sent_issues(newsletter), pk=pk)
    return render(
        request,
        "newsletters/archive_issue.html",
        {
            "newsletter": newsletter,
            "issue": issue,
            "articles": issue.articles(),
            "feeds": feed_paths(newsletter),
        },
    )


def issue_summary(issue, base=""):
    """The issue as feed-item HTML: its text, then each article linked (absolute on
    `base`: feed readers show it away from our site)."""
    items = format_html_join(
        "",
        '<li><a href="{}">{}</a>{}</li>',
        (
            (
                base + article.url,
                article.title,
                format_html(" — {}", article.standfirst) if article.standfirst else "",
            )
            for article in issue.articles()
        ),
    )
    return format_html(
        "{}{}", linebreaks(issue.body), format_html("<ul>{}</ul>", items) if items else ""
    )


class IssueFeed(Feed):
    """RSS 2.0 of a newsletter's sent issues (links on the host the feed is read from,
    so a mirror's copy points at the mirror)."""

    def get_object(self, request, slug):
        newsletter = get_object_or_404(Newsletter, slug=slug)
        if not feed_paths(newsletter):
            raise Http404("No issue has been sent yet.")
        return newsletter

    def get_feed(self, obj, request):
        self.base = request.build_absolute_uri("/").rstrip("/")
        return super().get_feed(obj, request)

    def title(self, newsletter):
        return newsletter.name

    def link(self, newsletter):
        return archive_path(newsletter)

    def description(self, newsletter):
        return newsletter.description or newsletter.name

    def items(self, newsletter):
        return sent_issues(newsletter).select_related("newsletter")[:FEED_ITEMS]

    def item_title(self, issue):
        return issue.subject

    def item_link(self, issue):
        return archive_path(issue.newsletter, issue)

    def item_description(self, issue):
        return issue_summary(issue, self.base)

    def item_pubdate(self, issue):
        return issue.sent_at


class IssueAtomFeed(IssueFeed):
    feed_type = Atom1Feed
    subtitle = IssueFeed.description


class ArchiveSitemap(Sitemap):
    """Each newsletter's archive and sent issues, on SITE_URL (not the Host header)."""

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def items(self):
        entries = []
        for newsletter in Newsletter.objects.order_by("pk"):
            issues = list(sent_issues(newsletter))
            if not issues:
                continue
            entries.append((archive_path(newsletter), issues[0].sent_at))
            entries += [(archive_path(newsletter, issue), issue.sent_at) for issue in issues]
        return entries

    def location(self, item):
        return item[0]

    def lastmod(self, item):
        return item[1]


def sitemap(request):
    from django.contrib.sitemaps.views import sitemap as sitemap_view

    return sitemap_view(request, {"newsletters": ArchiveSitemap()})
