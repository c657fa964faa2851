"""Reader pages in Chromium: no CSP violation, no other host, no cookie."""

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False])
def test_reader_pages_load_cleanly_under_the_strict_policy(browser, live_server, demo_site,
                                                           javascript):
    from samizdat.news.models import ArticlePage

    article = ArticlePage.objects.live().filter(locale__language_code="en").first()
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    violations, hosts = [], set()
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    for path in ("/", article.url, "/privacy/", "/ru/privacy/"):
        response = page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert response.headers["referrer-policy"] == "no-referrer"
    assert violations == []
    assert hosts == {urlsplit(live_server.url).netloc}
    assert context.cookies() == []
    context.close()
