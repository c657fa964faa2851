"""Asks that never get in the way, as a reader sees them in Chromium: the banner is compact,
steps aside for the letter and never covers the front page's first headline; the letter does
what it shows with scripts on and off; an exported copy counts nothing."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import ARTICLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {1280: 900, 390: 844}


@pytest.fixture
def site(live_server, demo_appeals):
    return live_server.url


def open_page(browser, url, width, scripts=True):
    context = browser.new_context(
        viewport={"width": width, "height": SIZES[width]}, java_script_enabled=scripts
    )
    page = context.new_page()
    page.goto(url)
    return context, page


def banner(page):
    return page.locator('[data-placement="banner"].ap-on')


def overlaps(a, b):
    return not (a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("width", SIZES)
def test_banner_is_compact_and_never_over_the_first_headline(browser, site, width):
    for path in ("/", "/ru/"):
        context, page = open_page(browser, site + path, width)
        try:
            assert banner(page).is_visible()
            # Measured where it rests, not while it rises into place.
            banner(page).evaluate("el => Promise.all(el.getAnimations().map((a) => a.finished))")
            box = banner(page).bounding_box()
            assert box["height"] <= 0.2 * SIZES[width], box
            close = banner(page).get_by_role("button", name=re.compile("Close|Закрыть"))
            target = close.bounding_box()
            assert target["width"] >= 44 and target["height"] >= 44
            headline = page.locator(".story--lead .story__title").bounding_box()
            assert not overlaps(box, headline), (box, headline)
        finally:
            context.close()


@pytest.mark.parametrize("width", SIZES)
def test_banner_steps_aside_while_the_letter_is_on_screen(browser, site, width):
    context, page = open_page(browser, site + ARTICLE, width)
    try:
        letter = page.locator('[data-placement="letter"].ap-on')
        assert banner(page).is_visible()
        letter.get_by_role("button", name="Continue").scroll_into_view_if_needed()
        # The observer's callback, then the slide away (hidden once the transition ends).
        expect(banner(page)).to_be_hidden()
        for control in (
            letter.get_by_text("Once", exact=True),
            letter.get_by_role("button", name="Continue"),
        ):
            # The reader's click reaches the letter, not something on top of it.
            box = control.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            hit = page.evaluate(
                "([x, y]) => !!document.elementFromPoint(x, y).closest('[data-placement=letter]')",
                [x, y],
            )
            assert hit
        page.evaluate("window.scrollTo(0, 0)")
        expect(banner(page)).to_be_visible()  # back once the letter is out of sight
    finally:
        context.close()


@pytest.mark.parametrize("width", SIZES)
def test_letter_without_scripts_shows_nothing_it_cannot_do(browser, site, width):
    context, page = open_page(browser, site + ARTICLE, width, scripts=False)
    try:
        letter = page.locator('[data-placement="letter"]')
        assert letter.is_visible()
        # No box that looks editable but is not, no amounts that ignore the frequency.
        for field in letter.locator("input:visible").all():
            assert field.is_enabled()
        assert letter.locator("[data-ap-other]:visible").count() == 0
        assert letter.get_by_text("You choose the amount on the next page.").is_visible()
        letter.get_by_text("Once", exact=True).click()
        letter.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/support/**")
        query = parse_qs(urlsplit(page.url).query)
        assert query["frequency"] == ["once"] and "amount" not in query
        assert (
            page.locator('[aria-current="page"], [aria-current="true"]')
            .filter(has_text="Once")
            .count()
            >= 1
        )
    finally:
        context.close()


def test_letter_with_scripts_shows_and_sends_the_chosen_frequencys_amounts(browser, site):
    from samizdat.appeals.templatetags.appeals_tags import money
    from samizdat.appeals.widget import widget_options

    options = widget_options("en", None)
    presets = {
        f["id"]: [money(a, options["currency"], "en") for a in f["amounts"]]
        for f in options["frequencies"]
    }
    context, page = open_page(browser, site + ARTICLE, 390)
    try:
        letter = page.locator('[data-placement="letter"].ap-on')
        for frequency, label in (("once", "Once"), ("annual", "Annual"), ("monthly", "Monthly")):
            letter.get_by_text(label, exact=True).click()
            shown = [
                t.strip()
                for t in letter.locator(".appeal-widget__amount:visible label").all_inner_texts()
                if t.strip() != "Other amount"
            ]
            assert shown == presets[frequency], frequency
            assert letter.locator("[data-ap-other]:visible").is_editable()
        letter.get_by_text("Once", exact=True).click()
        letter.locator(".appeal-widget__amount:visible").get_by_text(presets["once"][-1]).click()
        letter.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/support/**")
        query = parse_qs(urlsplit(page.url).query)
        once = next(f for f in options["frequencies"] if f["id"] == "once")
        assert query["frequency"] == ["once"] and query["amount"] == [str(once["amounts"][-1])]
    finally:
        context.close()


@pytest.mark.parametrize("exported", [False, True], ids=["live", "exported copy"])
def test_an_exported_copy_posts_no_appeal_events(browser, site, exported):
    """export_site writes each page's policy into a <meta> (mirrors/rewrite.py): served from a
    mirror, the page must not post to /appeals/event at the mirror's root."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    posted = []
    page.on("request", lambda r: posted.append(r.url) if "/appeals/event" in r.url else None)
    if exported:

        def as_exported(route):
            html = (
                route.fetch()
                .text()
                .replace(
                    "<head>",
                    '<head>\n<meta http-equiv="Content-Security-Policy" '
                    "content=\"default-src 'self'; img-src 'self' data:\">",
                    1,
                )
            )
            route.fulfill(body=html, content_type="text/html; charset=utf-8")

        page.route(site + ARTICLE, as_exported)
    try:
        page.goto(site + ARTICLE)
        banner(page).get_by_role("button", name="Close this message").click()
        page.wait_for_timeout(500)
        assert bool(posted) is not exported, posted
    finally:
        context.close()
