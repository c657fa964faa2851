"""Appeals rendered into pages: identical for every reader, targeted by the page only."""

import json
import re

import pytest

from samizdat.appeals.models import AppealSettings

from .conftest import ARTICLE, ARTICLE_RU, article, section


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def config(html):
    match = re.search(r'<script id="appeals-config" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1))


def placements(html):
    return {(int(a), p) for a, p in re.findall(r'data-appeal="(\d+)" data-placement="(\w+)"', html)}


@pytest.mark.django_db
@pytest.mark.parametrize("url, words", [
    (ARTICLE, ["Enjoying ad-free content?", "Our journalism is banned in Russia",
               "A Message from The Northern Ledger", "Dear readers", "Remind me later."]),
    (ARTICLE_RU, ["Вам нравится читать без рекламы?", "Нашу журналистику запретили",
                  "Дорогие читатели", "Напомнить позже.", "Поддержать"]),
])
def test_demo_article_carries_banner_inline_ask_and_letter_in_each_language(
        client, demo_appeals, url, words):
    response = client.get(url)
    html = response.content.decode()
    assert not response.cookies
    for word in words:
        assert word in html
    assert {p for _a, p in placements(html)} == {"banner", "inline", "letter"}


@pytest.mark.django_db
def test_the_page_is_the_same_for_every_reader(client, demo_appeals):
    from django.test import Client

    first = html_of(client, ARTICLE)
    other = Client(HTTP_USER_AGENT="Other/2.0")
    other.cookies["samizdat"] = "x"
    assert html_of(other, ARTICLE) == first


@pytest.mark.django_db
def test_inline_ask_sits_after_the_chosen_block(client, demo_appeals):
    from django.utils.html import strip_tags

    html = html_of(client, ARTICLE)
    before, after = html.split('class="article__body"')[1].split('data-placement="inline"')
    blocks = article().body
    second, third = strip_tags(str(blocks[1].render()))[:40], str(blocks[2].value)[:40]
    assert second in before and third not in before and third in after


@pytest.mark.django_db
def test_letter_form_goes_to_the_contribution_page_with_appeal_and_variant(client, demo_appeals):
    html = html_of(client, ARTICLE)
    letter = demo_appeals["Demo letter"]
    form = html.split('class="appeal-widget"')[1].split("</form>")[0]
    assert 'method="get"' in form
    assert f'name="appeal" value="{letter.pk}"' in form
    assert 'name="variant" value="A"' in form
    for frequency in ("once", "monthly", "annual"):
        assert f'name="frequency" value="{frequency}"' in form
    assert re.search(r'name="amount" value="[\d.]+" checked', form)
    assert 'Continue' in form


@pytest.mark.django_db
def test_placeholders_are_filled_with_the_outlet_and_goal(client, demo_appeals):
    html = html_of(client, ARTICLE)
    assert "{outlet}" not in html and "{goal}" not in html
    assert "The Northern Ledger is blocked" in html


@pytest.mark.django_db
def test_script_in_staff_copy_is_removed(client, demo_site, make_appeal):
    make_appeal("letter", variants=[{
        "key": "A", "heading_en": "<script>alert(1)</script>Hello",
        "text_en": '<p onclick="steal()">Give<script>window.pwned=1</script>'
                   '<img src="https://evil.example/x.png" onerror="steal()">'
                   '<a href="javascript:steal()">now</a></p>'}])
    html = html_of(client, ARTICLE)
    letter = html.split('class="appeal appeal-letter')[1].split("</section>")[0]
    assert "<script" not in letter
    assert "onclick" not in letter and "onerror" not in letter and "evil.example" not in letter
    assert "javascript:" not in letter
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Hello" in letter


@pytest.mark.django_db
def test_config_holds_numbers_and_ids_but_no_copy(client, demo_appeals):
    data = config(html_of(client, ARTICLE))
    assert {a["placement"] for a in data["appeals"]} == {"banner", "inline", "letter"}
    assert "Dear readers" not in json.dumps(data)
    assert data["counter"] == "/appeals/event"
    assert data["preview"] is None and data["debug"] == []


@pytest.mark.django_db
def test_kill_switch_removes_every_appeal(client, demo_appeals):
    switches = AppealSettings.load()
    switches.appeals_enabled = False
    switches.save()
    html = html_of(client, ARTICLE)
    assert placements(html) == set()
    assert config(html)["appeals"] == []


@pytest.mark.django_db
def test_excluded_section_suppresses_appeals_in_both_languages(client, demo_appeals):
    banner = demo_appeals["Demo banner: ad-free costs"]
    banner.exclude_sections.set([section("news")])
    banner.save()
    assert (banner.pk, "banner") not in placements(html_of(client, ARTICLE))
    assert (banner.pk, "banner") not in placements(html_of(client, ARTICLE_RU))
    assert (banner.pk, "banner") in placements(html_of(client, "/business/"))


@pytest.mark.django_db
def test_included_sections_limit_an_appeal_to_them(client, demo_appeals):
    banner = demo_appeals["Demo banner: ad-free costs"]
    banner.include_sections.set([section("business")])
    banner.save()
    assert (banner.pk, "banner") not in placements(html_of(client, ARTICLE))
    assert (banner.pk, "banner") not in placements(html_of(client, "/"))
    assert (banner.pk, "banner") in placements(html_of(client, "/business/"))


@pytest.mark.django_db
def test_excluded_tag_suppresses_appeals(client, demo_appeals):
    from taggit.models import Tag

    letter = demo_appeals["Demo letter"]
    letter.exclude_tags.set([Tag.objects.get(slug="labour")])
    letter.save()
    assert (letter.pk, "letter") not in placements(html_of(client, ARTICLE))


@pytest.mark.django_db
def test_no_appeals_article_gets_only_the_neutral_fallback(client, demo_appeals, make_appeal):
    story = article()
    story.no_appeals = True
    story.save_revision().publish()
    neutral = make_appeal("letter", neutral=True, priority=-1)
    html = html_of(client, ARTICLE)
    assert placements(html) == {(neutral.pk, "letter")}


@pytest.mark.django_db
def test_appeal_for_one_language_stays_out_of_the_other(client, demo_site, make_appeal):
    russian = make_appeal("letter", language="ru")
    assert (russian.pk, "letter") in placements(html_of(client, ARTICLE_RU))
    assert (russian.pk, "letter") not in placements(html_of(client, ARTICLE))


@pytest.mark.django_db
def test_ended_and_draft_appeals_are_not_rendered(client, demo_site, make_appeal):
    import datetime

    from django.utils import timezone

    ended = make_appeal("letter", end_at=timezone.now() - datetime.timedelta(days=1))
    draft = make_appeal("letter")
    draft.unpublish()
    shown = placements(html_of(client, ARTICLE))
    assert (ended.pk, "letter") not in shown and (draft.pk, "letter") not in shown


@pytest.mark.django_db
def test_inline_and_letter_stay_off_non_article_pages(client, demo_appeals):
    html = html_of(client, "/news/")
    assert {p for _a, p in placements(html)} == {"banner"}


@pytest.mark.django_db
def test_staff_preview_forces_a_draft_and_explains_the_others(staff_client, demo_appeals,
                                                              make_appeal):
    draft = make_appeal("banner", priority=-5)
    draft.unpublish()
    html = html_of(staff_client, f"{ARTICLE}?appeal-preview={draft.pk}:A")
    data = config(html)
    assert data["preview"] == {"id": draft.pk, "variant": "A"}
    assert (draft.pk, "banner") in placements(html)
    assert {d["id"] for d in data["debug"]} >= {draft.pk, *(a.pk for a in demo_appeals.values())}


@pytest.mark.django_db
def test_readers_cannot_use_the_preview(client, demo_appeals, make_appeal):
    draft = make_appeal("banner")
    draft.unpublish()
    html = html_of(client, f"{ARTICLE}?appeal-preview={draft.pk}:A")
    assert config(html)["preview"] is None
    assert (draft.pk, "banner") not in placements(html)


@pytest.mark.django_db
def test_reminder_calendar_file_is_cacheable_and_names_the_date(client, demo_site):
    import datetime

    from django.utils import timezone

    response = client.get("/appeals/remind-me-in-30-days.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "public" in response["Cache-Control"] and not response.cookies
    text = response.content.decode()
    day = (timezone.localdate() + datetime.timedelta(days=30)).strftime("%Y%m%d")
    assert f"DTSTART;VALUE=DATE:{day}" in text
    assert "SUMMARY:Support The Northern Ledger" in text


@pytest.mark.django_db
def test_demo_appeals_are_created_once(demo_site):
    from django.core.management import call_command

    from samizdat.appeals.models import Appeal

    call_command("load_demo_appeals")
    call_command("load_demo_appeals")
    assert Appeal.objects.count() == 3
    assert Appeal.objects.filter(live=True).count() == 3


@pytest.mark.django_db
def test_a_placeholder_inside_a_link_keeps_the_markup_whole(client, demo_site, make_appeal):
    """{goal} in an href used to become a <span> inside the attribute: broken markup."""
    from html.parser import HTMLParser

    make_appeal("letter", variants=[{
        "key": "A", "heading_en": "Help",
        "text_en": '<p>Reach <a href="https://news.example.org/goal?target={goal}&amp;m={month}">'
                   "our {goal} goal</a> now.</p>"}])
    html = html_of(client, ARTICLE)
    letter = html.split('class="appeal appeal-letter')[1].split("</section>")[0]

    class Links(HTMLParser):
        hrefs, spans_in_links, inside = [], 0, False

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.inside = True
                self.hrefs.append(dict(attrs)["href"])
            elif tag == "span" and self.inside:
                self.spans_in_links += 1

        def handle_endtag(self, tag):
            if tag == "a":
                self.inside = False

    parser = Links()
    parser.feed(letter)
    [href] = [h for h in parser.hrefs if "news.example.org/goal" in h]
    assert "<" not in href and "{goal}" not in href and "span" not in href
    assert href.startswith("https://news.example.org/goal?target=") and "&m=" in href
    assert parser.spans_in_links == 1  # the figure in the link's text is still refreshable


@pytest.mark.django_db
def test_reminder_calendars_follow_rfc_5545_with_one_uid_per_file(client, demo_site):
    """Each of the day's files (30 or 90 days, each language) has a UID of its own, every
    line is at most 75 octets even for a long outlet name, and icalendar reads it back."""
    import icalendar

    from samizdat.news.models import OutletSettings

    name = "Независимая газета «Северный вестник», " * 2
    OutletSettings.objects.update(name=name)
    calendars = {path: client.get(path).content for path in (
        "/appeals/remind-me-in-30-days.ics", "/appeals/remind-me-in-90-days.ics",
        "/ru/appeals/remind-me-in-30-days.ics", "/ru/appeals/remind-me-in-90-days.ics")}
    uids = set()
    for path, body in calendars.items():
        assert all(len(line) <= 75 for line in body.split(b"\r\n")), path
        event = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
        uids.add(str(event["UID"]))
        assert name.strip() in str(event["SUMMARY"])  # unfolded whole, comma and all
    assert len(uids) == len(calendars)


@pytest.mark.django_db
def test_the_letter_carries_no_time_element_without_a_value(client, demo_appeals):
    html = html_of(client, ARTICLE)
    assert 'data-placement="letter"' in html and "data-ap-remind-date" in html
    valued = re.findall(r'<time datetime="[^"]+">[^<]+</time>', html)
    assert html.count("<time") == len(valued)
