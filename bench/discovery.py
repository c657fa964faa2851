"""Queries and render time of the feeds, sitemaps and robots.txt (page cache off).

Run with the bench's environment (SAMIZDAT_VAR_DIR pointing at its database),
after `manage.py load_demo --articles N`. Each URL is fetched once first so
image renditions exist; the figures are the steady state. Prints JSON lines.
"""

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
os.environ["SAMIZDAT_PAGE_CACHE"] = "0"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from samizdat.news.models import ArticlePage  # noqa: E402

URLS = [
    "/feeds/rss/",
    "/feeds/atom/",
    "/ru/feeds/rss/",
    "/feeds/sections/news/rss/",
    "/feeds/authors/staff/atom/",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/robots.txt",
]
ROUNDS = 10


def measure(client, url):
    client.get(url, HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_HOST="127.0.0.1")
    # Read now: the next request's request_started signal empties the log.
    queries = len(ctx.captured_queries)
    assert response.status_code == 200, (url, response.status_code)
    start = time.perf_counter()
    for _ in range(ROUNDS):
        client.get(url, HTTP_HOST="127.0.0.1")
    elapsed = (time.perf_counter() - start) / ROUNDS
    return {
        "url": url,
        "queries": queries,
        "ms": round(elapsed * 1000, 1),
        "bytes": len(response.content),
    }


if __name__ == "__main__":
    client = Client()
    for url in URLS:
        print(json.dumps(measure(client, url)))
    print(json.dumps({"articles": ArticlePage.objects.live().count()}))
