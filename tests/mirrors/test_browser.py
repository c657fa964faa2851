"""The export in Chromium: styles apply, nothing leaves the host, CSP stays quiet."""

import pytest

from .conftest import serve

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

PAGES = ["index.html", "news/court-jails-school-librarian/index.html", "ru/index.html",
         "mirrors/index.html", "news/index.html"]


def open_page(browser, url, javascript=True):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    requests, console = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    page.goto(url, wait_until="networkidle")
    accent = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    margin = page.evaluate("getComputedStyle(document.body).margin")
    images = page.evaluate(
        "[...document.images].filter(i => i.complete && i.naturalWidth === 0).length")
    context.close()
    return requests, console, accent, margin, images


def test_exported_pages_in_chromium_style_and_request_only_their_host(demo_export, browser):
    folder, _key, _published = demo_export
    prefix = "/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/"
    for served_prefix in ("/", prefix):
        with serve(folder, prefix=served_prefix) as base:
            for rel in PAGES:
                requests, console, accent, margin, broken = open_page(browser, base + rel)
                assert accent == "#a3001b", rel  # site.css applied
                assert margin == "0px", rel
                assert broken == 0, rel
                assert all(url.startswith(base) for url in requests), (rel, requests)
                violations = [m for m in console if "Content Security Policy" in m]
                assert violations == [], (rel, violations)


def test_exported_pages_work_without_javascript_and_from_file_urls(demo_export, browser):
    folder, _key, _published = demo_export
    for rel in PAGES[:3]:
        url = (folder / rel).as_uri()
        requests, console, accent, _margin, broken = open_page(browser, url, javascript=False)
        assert accent == "#a3001b", rel
        assert broken == 0, rel
        assert all(r.startswith("file://") for r in requests), requests
        assert [m for m in console if "Content Security Policy" in m] == []
