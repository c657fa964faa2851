"""Print the SQL queries one render of each reader page type takes.

Run with the bench's environment (SAMIZDAT_VAR_DIR pointing at its database).
The page cache is off and each page is rendered once before counting, so
image renditions exist and the count is the steady-state one.
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

PAGES = {
    "article": "/news/river-port-strike-enters-third-week/",
    "section": "/news/",
    "home": "/",
    "tag": "/tags/labour/",
    "author": "/authors/anna-weiss/",
}


def count(client, url):
    client.get(url, HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def cpu_ms(client, url, repeat=20):
    """CPU time of one render in this process: less disturbed by other load than wall time."""
    start = time.process_time()
    for _ in range(repeat):
        client.get(url, HTTP_HOST="127.0.0.1")
    return round((time.process_time() - start) / repeat * 1000, 1)


if __name__ == "__main__":
    client = Client()
    result = {name: count(client, url) for name, url in PAGES.items()}
    result["articles"] = ArticlePage.objects.count()
    result["article_cpu_ms"] = cpu_ms(client, PAGES["article"])
    print(json.dumps(result))
