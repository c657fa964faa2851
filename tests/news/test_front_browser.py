"""The front page and the header as a reader sees them in Chromium: scripts on and off,
at 1280 px and on a 390 px phone."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {1280: 900, 390: 844}
BUDGET = 120 * 1024  # the home page's first view on a phone, pictures included


@pytest.fixture(params=[True, False], ids=["scripts on", "scripts off"])
def scripts(request):
    return request.param


def open_page(browser, url, width, scripts=True):
    context = browser.new_context(
        viewport={"width": width, "height": SIZES[width]}, java_script_enabled=scripts
    )
    page = context.new_page()
    page.goto(url)
    return context, page


@pytest.mark.parametrize("width", SIZES)
def test_first_headline_is_above_the_fold(browser, live_server, demo_site, width, scripts):
    for path in ("/", "/ru/"):
        context, page = open_page(browser, live_server.url + path, width, scripts)
        try:
            headline = page.locator(".story--lead .story__title")
            assert headline.is_visible()
            box = headline.bounding_box()
            assert box["y"] + box["height"] <= SIZES[width], (path, box)
            # Nothing makes a phone's page scroll sideways.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            context.close()


@pytest.mark.parametrize("width", SIZES)
def test_front_page_shows_top_stories_latest_with_times_and_sections(
    browser, live_server, demo_site, width
):
    context, page = open_page(browser, live_server.url + "/", width, scripts=False)
    try:
        top = page.get_by_role("region", name="Top stories")
        assert top.get_by_role("heading", level=3).count() == 6
        latest = page.get_by_role("region", name="Latest")
        items = latest.get_by_role("listitem")
        assert items.count() == 10
        assert items.first.locator("time").inner_text().split()[0].count(":") == 1
        for section in ("News", "Opinion", "Business", "Culture"):
            block = page.get_by_role("region", name=section, exact=True)
            assert block.get_by_role("heading", level=3).count() >= 1
        lead = page.get_by_role("region", name="Top story").bounding_box()
        beside = latest.bounding_box()
        if width == 1280:  # the latest list runs down the right of the lead
            assert beside["x"] > lead["x"] + lead["width"] - 1 and beside["y"] < lead["y"] + 50
        else:  # one column on a phone: the lead first
            assert beside["y"] > lead["y"] + lead["height"]
    finally:
        context.close()


def test_home_first_view_on_a_phone_stays_within_the_budget(browser, live_server, demo_site):
    from samizdat.appeals.demo import ensure_demo_appeals

    ensure_demo_appeals()  # the banner's script and styles count too
    context, page = open_page(browser, live_server.url + "/", 390)
    try:
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate("""() => [...performance.getEntriesByType('navigation'),
            ...performance.getEntriesByType('resource')].map(e => [e.name, e.decodedBodySize])""")
        images = [name for name, _size in loaded if "/media/images/" in name]
        total = sum(size for _name, size in loaded)
        assert images, "the lead picture is loaded"
        assert total <= BUDGET, (total, loaded)
        # Pictures below the first screens wait until the reader scrolls to them.
        pictures = page.locator("main img").count()
        assert len(images) < pictures
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/ru/", "/news/river-port-strike-enters-third-week/"])
def test_phone_header_is_under_100_px_and_every_section_is_reachable(
    browser, live_server, demo_site, scripts, path
):
    context, page = open_page(browser, live_server.url + path, 390, scripts)
    try:
        assert page.locator(".site-header").bounding_box()["height"] < 100
        nav = page.locator(".section-nav")
        other = page.locator(".lang-switch").get_by_role("link")
        assert other.filter(has_text="English" if path == "/ru/" else "Русский").is_visible()
        support = "Поддержать нас" if path == "/ru/" else "Support us"
        assert page.locator(".site-header").get_by_role("link", name=support).is_visible()
        links = nav.get_by_role("link")
        last = links.nth(links.count() - 1)
        href = last.get_attribute("href")
        last.click()  # scrolled into view inside its row, then followed
        page.wait_for_url("**" + href)
    finally:
        context.close()


def test_header_keeps_name_languages_support_and_sections_on_a_wide_screen(
    browser, live_server, demo_site
):
    context, page = open_page(browser, live_server.url + "/", 1280, scripts=False)
    try:
        languages = page.get_by_role("navigation", name="Language").get_by_role("link")
        assert [languages.nth(i).inner_text() for i in range(2)] == ["English", "Русский"]
        assert all(languages.nth(i).is_visible() for i in range(2))
        nav = page.get_by_role("navigation", name="Sections").get_by_role("link")
        assert all(nav.nth(i).is_visible() for i in range(nav.count()))
    finally:
        context.close()
