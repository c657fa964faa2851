"""Choosing appeals in a real Chromium: state in the browser, nothing sent but counts."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from samizdat.appeals.models import DailyCount

from .conftest import ARTICLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def site(live_server, demo_appeals):
    return live_server.url


@pytest.fixture
def context(browser):
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.clock.install(time=START)
    return page


def shown(page, placement):
    """The id and variant of the visible appeal in a placement, or None."""
    locator = page.locator(f'[data-placement="{placement}"].ap-on')
    if locator.count() == 0 or not locator.first.is_visible():
        return None
    return int(locator.first.get_attribute("data-appeal")), locator.first.get_attribute(
        "data-ap-show")


def later(page, days):
    page.clock.set_system_time(START + datetime.timedelta(days=days))


def test_banner_appears_as_a_labelled_region_with_support_us(page, site, demo_appeals):
    page.goto(site + ARTICLE)
    banner = demo_appeals["Demo banner: ad-free costs"]
    assert shown(page, "banner")[0] == banner.pk
    region = page.get_by_role("region", name="Support The Northern Ledger: banner", exact=True)
    assert region.is_visible()
    assert region.get_by_role("link", name="Support us").is_visible()
    assert region.get_by_role("button", name="Close this message").is_visible()


def test_closed_banner_stays_closed_until_a_new_version_is_published(page, site, demo_appeals):
    from samizdat.appeals.demo import publish

    page.goto(site + ARTICLE)
    page.get_by_role("button", name="Close this message").click()
    assert shown(page, "banner") is None
    page.reload()
    assert shown(page, "banner") is None
    page.goto(site + "/business/")
    assert shown(page, "banner") is None
    publish(demo_appeals["Demo banner: ad-free costs"])
    # A new address: the browser may keep the article itself for a minute (max-age=60).
    page.goto(site + ARTICLE + "?after-publishing")
    assert shown(page, "banner") is not None


def test_banner_closes_from_the_keyboard(page, site):
    page.goto(site + ARTICLE)
    page.get_by_role("button", name="Close this message").focus()
    page.keyboard.press("Enter")
    assert shown(page, "banner") is None
    page.reload()
    page.get_by_role("link", name="Support us").first.focus()
    assert shown(page, "banner") is None


def test_remind_me_later_hides_the_letter_until_the_period_is_over(page, site, demo_appeals):
    page.goto(site + ARTICLE)
    letter = demo_appeals["Demo letter"]
    assert shown(page, "letter")[0] == letter.pk
    page.get_by_role("link", name="Remind me later.").click()
    status = page.get_by_role("status").filter(has_text="We won't ask you again until")
    assert status.is_visible()
    assert "December 2, 2026" in status.inner_text()
    assert status.locator("time").get_attribute("datetime") == "2026-12-02"
    assert shown(page, "banner") is None
    with page.expect_download() as info:
        page.get_by_role("link", name="Add the reminder to your calendar (.ics)").click()
    calendar = open(info.value.path(), encoding="utf-8").read()
    assert "DTSTART;VALUE=DATE:20261202" in calendar
    assert "SUMMARY:Support The Northern Ledger" in calendar
    # RFC 5545 as a calendar program reads it: lines of at most 75 octets, a UID
    # of this reader's own (not one per day shared by everyone).
    assert all(len(line.encode()) <= 75 for line in calendar.splitlines())
    event = __import__("icalendar").Calendar.from_ical(calendar).walk("VEVENT")[0]
    assert str(event["DTSTART"].dt) == "2026-12-02"
    assert "20261202" not in str(event["UID"])
    page.reload()
    assert shown(page, "letter") is None and shown(page, "banner") is None
    later(page, 29)
    page.reload()
    assert shown(page, "letter") is None
    later(page, 31)
    page.reload()
    assert shown(page, "letter")[0] == letter.pk


def test_giving_through_the_letter_marks_a_supporter_who_is_no_longer_asked(page, site,
                                                                           demo_appeals):
    from samizdat.support.models import Contribution

    page.goto(site + ARTICLE)
    letter = page.locator('[data-placement="letter"]')
    letter.get_by_text("Once", exact=True).click()
    letter.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Card (demo)").click()
    page.get_by_role("button", name="Pay (simulated)").click()
    page.wait_for_url("**/support/thanks/**")
    contribution = Contribution.objects.get()
    assert (contribution.appeal, contribution.variant) == (str(demo_appeals["Demo letter"].pk), "A")
    page.goto(site + ARTICLE)
    assert (shown(page, "banner"), shown(page, "inline"), shown(page, "letter")) == (None,) * 3
    later(page, 89)
    page.reload()
    assert shown(page, "banner") is None
    later(page, 91)
    page.reload()
    assert shown(page, "banner") is not None


def test_a_reader_keeps_the_same_variant_across_reloads(browser, site):
    seen = set()
    for _ in range(12):
        context = browser.new_context()
        page = context.new_page()
        page.goto(site + ARTICLE)
        first = shown(page, "banner")
        for _ in range(3):
            page.reload()
            assert shown(page, "banner") == first
        seen.add(first[1])
        context.close()
        if seen == {"A", "B"}:
            break
    assert seen == {"A", "B"}


def test_views_per_period_cap_holds(page, site, demo_appeals):
    banner = demo_appeals["Demo banner: ad-free costs"]
    banner.max_views, banner.per_days = 2, 7
    banner.save()
    page.goto(site + ARTICLE)
    assert shown(page, "banner") is not None
    page.reload()
    assert shown(page, "banner") is not None
    page.reload()
    assert shown(page, "banner") is None
    later(page, 8)
    page.reload()
    assert shown(page, "banner") is not None


def test_days_between_views_cap_holds(page, site, demo_appeals):
    banner = demo_appeals["Demo banner: ad-free costs"]
    banner.min_days_between = 3
    banner.save()
    page.goto(site + ARTICLE)
    assert shown(page, "banner") is not None
    page.reload()
    assert shown(page, "banner") is None
    later(page, 2)
    page.reload()
    assert shown(page, "banner") is None
    later(page, 4)
    page.reload()
    assert shown(page, "banner") is not None


def test_only_one_banner_per_page_view_the_highest_priority(page, site, make_appeal):
    urgent = make_appeal("banner", priority=50)
    page.goto(site + ARTICLE)
    assert page.locator('[data-placement="banner"].ap-on').count() == 1
    assert shown(page, "banner")[0] == urgent.pk


def test_excluded_section_and_the_article_switch_suppress_appeals(page, site, demo_appeals):
    from .conftest import article, section

    banner = demo_appeals["Demo banner: ad-free costs"]
    banner.exclude_sections.set([section("news")])
    banner.save()
    page.goto(site + ARTICLE)
    assert shown(page, "banner") is None and shown(page, "letter") is not None
    story = article()
    story.no_appeals = True
    story.save_revision().publish()
    page.reload()
    assert (shown(page, "banner"), shown(page, "inline"), shown(page, "letter")) == (None,) * 3


def test_no_cookie_and_no_request_to_another_host(page, context, site):
    hosts, event_headers = set(), []
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    page.on("request", lambda r: event_headers.append(r)
            if r.url.endswith("/appeals/event") else None)
    page.goto(site + ARTICLE)
    page.get_by_role("button", name="Close this message").click()
    page.get_by_role("link", name="Remind me later.").click()
    page.goto(site + "/ru/")
    page.wait_for_load_state("networkidle")
    assert hosts == {urlsplit(site).netloc}
    assert context.cookies() == []
    assert event_headers
    sent = {name for request in event_headers for name in request.all_headers()}
    assert not sent & {"cookie", "referer"}, sent


def counted(kind):
    """A response predicate: the counter has answered the event of this kind."""
    return lambda r: r.url.endswith("/appeals/event") and f"kind={kind}" in (
        r.request.post_data or "")


def test_events_from_the_browser_become_anonymous_daily_counts(page, site, demo_appeals):
    banner = demo_appeals["Demo banner: ad-free costs"]
    # Each event is waited for by its kind: the view is posted while the page loads and
    # may be answered after the close is posted.
    with page.expect_response(counted("view")):
        page.goto(site + ARTICLE)
    variant = shown(page, "banner")[1]
    with page.expect_response(counted("close")):
        page.get_by_role("button", name="Close this message").click()
    page.wait_for_load_state("networkidle")
    counts = {(c.appeal_id, c.variant, c.kind): c.count for c in DailyCount.objects.all()}
    assert counts[(banner.pk, variant, "view")] == 1
    assert counts[(banner.pk, variant, "close")] == 1


def test_letter_form_reaches_the_contribution_page_without_javascript(browser, site, demo_appeals):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + ARTICLE)
    letter = page.locator('[data-placement="letter"]')
    assert letter.is_visible()
    assert not page.locator('[data-placement="banner"]').is_visible()
    page.get_by_text("Annual", exact=True).click()
    letter.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    url = urlsplit(page.url)
    query = parse_qs(url.query)
    assert url.path == "/support/"
    assert query["frequency"] == ["annual"]
    assert query["appeal"] == [str(demo_appeals["Demo letter"].pk)]
    # Without scripts the letter cannot follow the frequency with its amounts, so it sends
    # none: the reader picks one on the contribution page, which opens at "Annual".
    assert query["variant"] == ["A"] and "amount" not in query
    assert page.get_by_role("button", name="Continue").is_visible()
    # Only the contribution page, which posts a form, may set the CSRF cookie.
    assert {c["name"] for c in context.cookies()} <= {"csrftoken"}
    context.close()


def test_widget_switches_amounts_and_takes_another_amount(page, site, demo_appeals):
    page.goto(site + ARTICLE)
    letter = page.locator('[data-placement="letter"]')
    letter.scroll_into_view_if_needed()
    letter.get_by_text("Annual", exact=True).click()
    annual_labels = letter.locator("[data-ap-amounts]:visible label").all_inner_texts()
    letter.get_by_text("Monthly", exact=True).click()
    assert letter.locator("[data-ap-amounts]:visible label").all_inner_texts() != annual_labels
    letter.locator("[data-ap-other]:visible").fill("37")
    letter.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    query = parse_qs(urlsplit(page.url).query)
    assert query["amount"] == ["37"] and query["frequency"] == ["monthly"]
    assert query["variant"] == ["A"]


def test_clear_control_on_the_privacy_page_forgets_everything(page, site):
    page.goto(site + ARTICLE)
    page.get_by_role("button", name="Close this message").click()
    assert page.evaluate("localStorage.length") == 1
    page.goto(site + "/privacy/")
    page.get_by_role("button", name="Clear what this site stored in your browser").click()
    assert page.get_by_role("status").filter(has_text="nothing stored").is_visible()
    assert page.evaluate("localStorage.length") == 0
    page.goto(site + ARTICLE)
    assert shown(page, "banner") is not None


def test_script_in_staff_copy_never_runs(page, site, make_appeal):
    make_appeal("banner", priority=99, variants=[{
        "key": "A", "heading_en": "Hi<script>window.pwned = 1</script>",
        "text_en": '<p>Give<script>window.pwned = 2</script>'
                   '<img src="/x.png" onerror="window.pwned = 3"></p>'}])
    page.goto(site + ARTICLE)
    assert shown(page, "banner") is not None
    assert page.evaluate("window.pwned") is None


def test_appeals_cause_no_layout_shift(page, site):
    page.goto(site + ARTICLE)
    page.wait_for_load_state("networkidle")
    shift = page.evaluate("""() => new Promise((done) => {
        new PerformanceObserver((list) => done(list.getEntries().reduce((t, e) => t + e.value, 0)))
          .observe({type: "layout-shift", buffered: true});
        setTimeout(() => done(0), 0);
    })""")
    assert shown(page, "inline") is not None
    assert shift == 0


def test_staff_preview_forces_a_variant_and_explains_every_appeal(page, context, site,
                                                                  make_appeal, demo_appeals):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    draft = make_appeal("banner", priority=-5, variants=[
        {"key": "A", "heading_en": "Draft A", "text_en": "<p>a</p>"},
        {"key": "B", "heading_en": "Draft B", "text_en": "<p>b</p>"}])
    draft.unpublish()
    from samizdat.users.testing import login_with_second_factor

    staff = get_user_model().objects.create_superuser(username="editor", password="x")
    client = login_with_second_factor(Client(), staff)  # previews need the verified session
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": site,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    events = []
    page.on("request", lambda r: events.append(r) if r.url.endswith("/appeals/event") else None)
    page.goto(f"{site}{ARTICLE}?appeal-preview={draft.pk}:B")
    assert shown(page, "banner") == (draft.pk, "B")
    assert page.get_by_role("heading", name="Draft B").is_visible()
    panel = page.get_by_role("complementary", name="Appeal preview")
    banner = demo_appeals["Demo banner: ad-free costs"]
    assert "SHOWN, variant B" in panel.locator(f'[data-ap-debug="{draft.pk}"]').inner_text()
    assert "previewing another" in panel.locator(f'[data-ap-debug="{banner.pk}"]').inner_text()
    page.wait_for_load_state("networkidle")
    assert events == []
    assert page.evaluate("localStorage.length") == 0



def test_banner_motion_respects_reduced_motion(browser, site):
    names = {}
    for motion in ("no-preference", "reduce"):
        context = browser.new_context(reduced_motion=motion)
        page = context.new_page()
        page.goto(site + ARTICLE)
        names[motion] = page.locator('[data-placement="banner"].ap-on').evaluate(
            "el => getComputedStyle(el).animationName")
        context.close()
    assert names == {"no-preference": "ap-rise", "reduce": "none"}


def test_articles_read_counter_is_off_unless_enabled(page, site):
    from samizdat.appeals.models import AppealSettings

    page.goto(site + ARTICLE)
    assert "r" not in page.evaluate("JSON.parse(localStorage.getItem('samizdat.appeals'))")
    switches = AppealSettings.load()
    switches.count_articles_read = True
    switches.save()
    page.goto(site + ARTICLE + "?counter-on")
    page.goto(site + "/news/")
    page.goto(site + ARTICLE + "?counter-on-again")
    state = page.evaluate("JSON.parse(localStorage.getItem('samizdat.appeals'))")
    this_month = page.evaluate("new Date().toISOString().slice(0, 7)")
    assert state["r"] == {"m": this_month, "n": 2}
    assert "news" not in str(state) and "river" not in str(state)


def test_counting_stops_quietly_where_there_is_no_counter(page, site):
    """As on a static mirror: the first event fails, the page keeps working and sends no more."""
    attempts = []
    page.route("**/appeals/event", lambda route: (attempts.append(route.request.url),
                                                  route.fulfill(status=404, body="")))
    page.goto(site + ARTICLE)
    page.wait_for_load_state("networkidle")
    failed_on_load = len(attempts)
    assert failed_on_load >= 1
    page.get_by_role("button", name="Close this message").click()
    page.get_by_role("link", name="Remind me later.").click()
    assert page.get_by_role("status").filter(has_text="We won't ask you again").is_visible()
    page.wait_for_load_state("networkidle")
    assert len(attempts) == failed_on_load
