"""Queries per render of each reader page type, and the CPU of one article render
next to a flat reference template of the article's shape, in one process.

Run with the environment of the database to measure (SQLite var folder or the
production set-up's PostgreSQL); prints one JSON line. The page cache is off and
each page is rendered once before counting, so renditions exist and counts are
the steady-state ones. The flat reference (bench/templates/flat_article.html) is
a plain Django template with no custom tags, fed from data fetched once (the
body's blocks rendered to HTML once): what templating the same page costs when
nothing is looked up while rendering.
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
os.environ["SAMIZDAT_PAGE_CACHE"] = "0"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import Context, Engine  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402

from samizdat.news.models import ArticlePage, SectionPage  # noqa: E402

ARTICLE_SLUG = "river-port-strike-enters-third-week"
PAGES = {
    "article": f"/news/{ARTICLE_SLUG}/",
    "section": "/news/",
    "home": "/",
    "tag": "/tags/labour/",
    "author": "/authors/anna-weiss/",
}
HOST = os.environ.get("BENCH_HOST", "127.0.0.1")
# Production settings redirect plain HTTP: ask as nginx forwards (HTTPS).
SECURE = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))


def get(client, url):
    response = client.get(url, HTTP_HOST=HOST, secure=SECURE)
    assert response.status_code == 200, (url, response.status_code)
    return response


def count(client, url, renders=5):
    """(queries, their wall time in ms) of a render of URL after the first: the queries
    of the second render, the least SQL time of `renders` (on a shared machine one
    render's SQL time swings with the other processes' load)."""
    get(client, url)
    counts, times = [], []
    for _ in range(renders):
        spent = [0.0]

        def timed(execute, sql, params, many, context, spent=spent):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent[0] += time.perf_counter() - began

        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timed):
            get(client, url)
        counts.append(len(ctx.captured_queries))
        times.append(spent[0])
    return counts[0], round(min(times) * 1000, 1)


def cpu_ms(render, repeat):
    render()
    start = time.process_time()
    for _ in range(repeat):
        render()
    return round((time.process_time() - start) / repeat * 1000, 2)


def flat_context(page):
    """Everything the article shows, fetched once: the flat template looks nothing up."""
    section = page.get_parent().specific
    sections = list(SectionPage.objects.live().child_of(section.get_parent()))
    rendition = page.lead_image.get_rendition("width-960") if page.lead_image else None
    others = list(ArticlePage.objects.live().exclude(pk=page.pk)
                  .select_related("lead_image").order_by("-first_published_at")[:3])
    return {
        "lang": page.locale.language_code,
        "title": page.title,
        "standfirst": page.standfirst,
        "outlet": "Samizdat",
        "tagline": "Independent news",
        "url": page.full_url,
        "home_url": "/",
        "css": "/static/news/site.css",
        "support_url": "/support/",
        "head_links": [{"rel": "alternate", "href": "/feeds/", "hreflang": ""},
                       {"rel": "canonical", "href": page.url, "hreflang": ""}],
        "langs": [{"url": "/", "code": "en", "name": "English", "current": True},
                  {"url": "/ru/", "code": "ru", "name": "Русский", "current": False}],
        "sections": [{"url": s.url, "title": s.title, "current": s.pk == section.pk}
                     for s in sections],
        "section": {"url": section.url, "title": section.title},
        "authors": [{"url": f"/authors/{a.slug}/", "name": a.name} for a in page.authors],
        "published": page.published,
        "lead": rendition and {
            "src": rendition.url, "width": rendition.width, "height": rendition.height,
            "alt": page.lead_image_alt, "caption": page.lead_image_caption,
            "sources": [{"type": "image/webp", "srcset": f"{rendition.url} 960w"}],
        },
        "body": [mark_safe(str(block)) for block in page.body],
        "tags": [{"url": f"/tags/{t.slug}/", "name": t.name}
                 for t in page.tags.all()],
        "metas": [{"attr": "property" if n.startswith(("og:", "article:")) else "name",
                   "name": n, "content": c} for n, c in [
            ("og:type", "article"), ("og:title", page.title), ("og:description", page.standfirst),
            ("og:url", page.full_url), ("og:site_name", "Samizdat"), ("og:locale", "en_US"),
            ("og:locale:alternate", "ru_RU"), ("og:image", rendition and rendition.url),
            ("og:image:type", "image/jpeg"), ("og:image:width", "1200"),
            ("og:image:height", "675"), ("og:image:alt", page.lead_image_alt),
            ("article:published_time", page.published.isoformat()),
            ("article:section", section.title), ("author", "Staff"),
            ("twitter:card", "summary_large_image"), ("twitter:title", page.title),
            ("twitter:description", page.standfirst),
            ("twitter:image", rendition and rendition.url),
        ]],
        "json_ld": json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                               "headline": page.title, "description": page.standfirst,
                               "datePublished": page.published.isoformat()}),
        "appeals_json": json.dumps({"counter": "/appeals/event", "isArticle": True,
                                    "appeals": [{"id": i, "placement": p} for i, p in
                                                enumerate(("banner", "inline", "letter"))]}),
        "banner": [{"key": k, "heading": h, "text": mark_safe(f"<p>{h} Your support helps.</p>")}
                   for k, h in (("A", "Enjoying ad-free content?"),
                                ("B", "No ads. No owners. Just readers."))],
        "goal": {"percent": 0, "raised": "$0", "target": "$10,000"},
        "letter": {"title": "A Message from Samizdat", "currency": "USD",
                   "body": mark_safe("<p>Dear readers,</p><p>We answer only to you.</p>"),
                   "methods": ["Card (demo)", "Crypto (demo)"],
                   "frequencies": [{"value": f, "label": f.capitalize(), "checked": f == "monthly",
                                    "amounts": [{"value": v, "label": f"${v}", "checked": i == 1}
                                                for i, v in enumerate(amounts)]}
                                   for f, amounts in (("once", (10, 25, 50)),
                                                      ("monthly", (2, 5, 10)),
                                                      ("annual", (25, 50, 100)))]},
        "related": [{"url": o.url, "title": o.title, "standfirst": o.standfirst,
                     "published": o.first_published_at, "authors": ["Staff"],
                     "image": "/media/images/card.jpg",
                     "sources": [{"type": "image/webp", "srcset": "/media/c-480.webp 480w, "
                                  "/media/c-960.webp 960w"}]} for o in others],
        "footer_links": [{"url": "/privacy/", "title": "Privacy"},
                         {"url": "/mirrors/", "title": "Mirrors"}],
    }


def main():
    repeat = int(os.environ.get("RENDER_REPEAT", "20"))
    client = Client()
    result = {}
    for name, url in PAGES.items():
        result[name], result[f"{name}_sql_ms"] = count(client, url)
    result["articles"] = ArticlePage.objects.count()
    result["article_cpu_ms"] = cpu_ms(lambda: get(client, PAGES["article"]), repeat)
    result["article_bytes"] = len(get(client, PAGES["article"]).content)
    page = ArticlePage.objects.get(slug=ARTICLE_SLUG, locale__language_code="en")
    engine = Engine(dirs=[str(ROOT / "bench" / "templates")], debug=False,
                    loaders=[("django.template.loaders.cached.Loader",
                              ["django.template.loaders.filesystem.Loader"])])
    template = engine.get_template("flat_article.html")
    context = flat_context(page)
    html = template.render(Context(context))
    result["flat_cpu_ms"] = cpu_ms(lambda: template.render(Context(context)), repeat * 10)
    result["flat_bytes"] = len(html.encode())
    result["article_vs_flat"] = round(result["article_cpu_ms"] / result["flat_cpu_ms"], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
