"""The admin's results: counts, a demo gift attributed to its variant, the verdict."""

import pytest

from samizdat.appeals.counters import record
from samizdat.appeals.report import appeal_results


@pytest.fixture
def ab_banner(make_appeal):
    return make_appeal("banner", name="A/B banner", variants=[
        {"key": "A", "weight": 1, "text_en": "<p>a</p>"},
        {"key": "B", "weight": 1, "text_en": "<p>b</p>"},
    ])


def give_through_demo(client, appeal, variant, amount="25"):
    """The contribution page with the appeal's parameters, paid with the demo provider."""
    page = client.get("/support/", {"frequency": "once", "amount": amount, "currency": "USD",
                                    "appeal": appeal.pk, "variant": variant})
    assert page.status_code == 200
    response = client.post("/support/", {
        "frequency": "once", "currency": "USD", "amount": amount, "email": "", "method": "demo",
        "website": "", "appeal": appeal.pk, "variant": variant})
    assert response.status_code == 302
    client.post(response["Location"], {"action": "pay"})


def row(results, appeal, key):
    result = next(r for r in results if r["appeal"].pk == appeal.pk)
    return next(v for v in result["variants"] if v["key"] == key), result


@pytest.mark.django_db
def test_demo_gift_is_attributed_to_its_appeal_and_variant(client, ab_banner,
                                                           django_capture_on_commit_callbacks):
    for _ in range(200):
        record(ab_banner.pk, "B", "view")
    for _ in range(10):
        record(ab_banner.pk, "B", "click")
    with django_capture_on_commit_callbacks(execute=True):
        give_through_demo(client, ab_banner, "B")
    b, _result = row(appeal_results(), ab_banner, "B")
    a, _result = row(appeal_results(), ab_banner, "A")
    assert (b["views"], b["clicks"], b["click_percent"], b["conversions"]) == (200, 10, 5.0, 1)
    assert [(m["currency"], str(m["amount"]), str(m["per_1000_views"])) for m in b["revenue"]] == [
        ("USD", "25.00", "125.00")]
    assert (a["conversions"], a["revenue"]) == (0, [])
    # Staff read money as everywhere else in the admin, not "25.00 USD".
    assert [(m["shown"], m["per_1000_shown"]) for m in b["revenue"]] == [("$25.00", "$125.00")]


@pytest.mark.django_db
def test_report_gives_chances_and_a_plain_verdict(ab_banner):
    from datetime import timedelta

    from django.utils import timezone

    from samizdat.appeals.models import DailyCount

    day = timezone.localdate() - timedelta(days=1)
    for key, views, conversions in (("A", 5000, 10), ("B", 5000, 40)):
        DailyCount.objects.create(appeal=ab_banner, variant=key, day=day, kind="view", count=views)
        DailyCount.objects.create(appeal=ab_banner, variant=key, day=day, kind="conversion",
                                  count=conversions)
    results = appeal_results(gifts="events")
    b, result = row(results, ab_banner, "B")
    assert b["prob_best_percent"] > 99
    assert result["verdict"].startswith("Variant B is very likely the best")


@pytest.mark.django_db
def test_results_page_in_the_admin_shows_each_variant(staff_client, ab_banner):
    record(ab_banner.pk, "A", "view")
    response = staff_client.get("/admin/appeals/results/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A/B banner" in html and "Revenue per 1,000 views" in html and "Verdict:" in html
    assert 'data-variant="A"' in html and 'data-variant="B"' in html


@pytest.mark.django_db
def test_readers_cannot_open_the_results(client, ab_banner):
    response = client.get("/admin/appeals/results/")
    assert response.status_code in (302, 403)


@pytest.mark.django_db
def test_staff_can_open_the_appeal_editor(staff_client, ab_banner):
    assert staff_client.get("/admin/snippets/appeals/appeal/add/").status_code == 200
    html = staff_client.get(f"/admin/snippets/appeals/appeal/edit/{ab_banner.pk}/").content.decode()
    assert "Who and when" in html and "Text (Russian)" in html


def draftail(text):
    import json

    return json.dumps({"blocks": [{"key": "k1", "type": "unstyled", "depth": 0, "text": text,
                                   "inlineStyleRanges": [], "entityRanges": []}],
                       "entityMap": {}})


@pytest.mark.django_db
def test_staff_create_and_publish_an_ab_test_in_the_admin(staff_client, demo_site, client):
    from samizdat.appeals.models import Appeal

    data = {
        "name": "Winter A/B", "placement": "letter", "priority": "3", "language": "",
        "start_at": "", "end_at": "", "max_views": "4", "per_days": "30",
        "min_days_between": "0", "remind_days": "30", "after_paragraph": "3",
        "hide_from_supporters": "on",
        "variants-TOTAL_FORMS": "2", "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1", "variants-MAX_NUM_FORMS": "5",
        "action-publish": "action-publish",
    }
    for index, key in enumerate("AB"):
        data.update({
            f"variants-{index}-key": key, f"variants-{index}-weight": "1",
            f"variants-{index}-ORDER": str(index + 1), f"variants-{index}-id": "",
            f"variants-{index}-heading_en": f"Winter {key}",
            f"variants-{index}-text_en": draftail(f"Dear readers, winter {key}."),
            f"variants-{index}-button_en": "", f"variants-{index}-heading_ru": "",
            f"variants-{index}-text_ru": draftail(""), f"variants-{index}-button_ru": "",
        })
    response = staff_client.post("/admin/snippets/appeals/appeal/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    appeal = Appeal.objects.get(name="Winter A/B")
    assert appeal.live and [v.key for v in appeal.variants.all()] == ["A", "B"]
    from django.test import Client

    html = Client().get("/news/river-port-strike-enters-third-week/").content.decode()
    assert "Dear readers, winter A." in html and "Dear readers, winter B." in html
