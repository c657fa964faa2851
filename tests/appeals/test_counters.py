"""The anonymous event counter: per-day totals, nothing about the reader."""

import json
import logging

import pytest

from samizdat.appeals.models import DailyCount

URL = "/appeals/event"


def post(client, body, content_type="application/x-www-form-urlencoded", **extra):
    return client.generic("POST", URL, body, content_type=content_type, **extra)


def totals():
    return {(c.appeal_id, c.variant, c.kind): c.count for c in DailyCount.objects.all()}


@pytest.fixture
def banner(make_appeal):
    return make_appeal("banner", variants=[{"key": "A", "text_en": "<p>a</p>"},
                                           {"key": "B", "text_en": "<p>b</p>"}])


@pytest.mark.django_db
def test_events_add_up_per_day_variant_and_kind(client, banner):
    for _ in range(3):
        assert post(client, f"appeal={banner.pk}&variant=A&kind=view").status_code == 204
    assert post(client, json.dumps({"appeal": banner.pk, "variant": "B", "kind": "click"}),
                "application/json").status_code == 204
    assert totals() == {(banner.pk, "A", "view"): 3, (banner.pk, "B", "click"): 1}


@pytest.mark.django_db
def test_counting_sets_no_cookie_and_stores_nothing_about_the_reader(client, banner):
    client.cookies["reader"] = "someone"
    response = post(client, f"appeal={banner.pk}&variant=A&kind=view",
                    HTTP_USER_AGENT="Reader/1.0", HTTP_REFERER="https://example.org/x",
                    REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 204
    assert not response.cookies
    row = DailyCount.objects.get()
    stored = " ".join(str(getattr(row, f.attname)) for f in DailyCount._meta.fields)
    for trace in ("203.0.113.9", "Reader", "example.org", "someone"):
        assert trace not in stored


@pytest.mark.django_db
def test_event_requests_are_not_logged_whatever_the_outcome(client, banner, caplog):
    caplog.set_level(logging.DEBUG)
    post(client, f"appeal={banner.pk}&variant=A&kind=view", REMOTE_ADDR="203.0.113.9")
    post(client, "appeal=999&variant=A&kind=view")
    post(client, "x" * 5000)
    client.get(URL)
    assert [r for r in caplog.records if r.name.startswith("django")] == []
    assert "203.0.113.9" not in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("body, content_type, status", [
    ("appeal=999&variant=A&kind=view", "application/x-www-form-urlencoded", 400),
    ("appeal={id}&variant=Z&kind=view", "application/x-www-form-urlencoded", 400),
    ("appeal={id}&variant=A&kind=purchase", "application/x-www-form-urlencoded", 400),
    ("appeal=abc&variant=A&kind=view", "application/x-www-form-urlencoded", 400),
    ('{"appeal": [1], "variant": "A", "kind": "view"}', "application/json", 400),
    ("[1, 2, 3]", "application/json", 400),
    ("{not json", "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    ("appeal={id}&variant=A&kind=view", "text/plain", 415),
    ("appeal={id}&variant=A&kind=view" + "&pad=" + "x" * 600,
     "application/x-www-form-urlencoded", 413),
])
def test_bad_events_are_rejected_without_touching_counters(client, banner, body, content_type,
                                                           status):
    post(client, f"appeal={banner.pk}&variant=B&kind=view")
    before = totals()
    if isinstance(body, str):
        body = body.replace("{id}", str(banner.pk))
    response = post(client, body, content_type)
    assert response.status_code == status
    assert totals() == before


@pytest.mark.django_db
def test_get_is_refused(client, banner):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_a_flood_is_capped_per_counter_without_touching_others(client, banner, settings):
    settings.APPEALS_EVENTS_PER_MINUTE = 5
    codes = [post(client, f"appeal={banner.pk}&variant=A&kind=view").status_code
             for _ in range(8)]
    assert codes == [204] * 5 + [429] * 3
    assert post(client, f"appeal={banner.pk}&variant=B&kind=view").status_code == 204
    assert totals() == {(banner.pk, "A", "view"): 5, (banner.pk, "B", "view"): 1}


@pytest.mark.django_db
def test_counter_is_csrf_exempt(banner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, f"appeal={banner.pk}&variant=A&kind=close").status_code == 204


@pytest.mark.django_db
def test_one_client_cannot_decide_an_ab_test_by_flooding_conversions(client, banner):
    """600 conversions a minute from one browser used to pick the winning variant."""
    codes = [post(client, f"appeal={banner.pk}&variant=B&kind=conversion").status_code
             for _ in range(50)]
    assert codes.count(204) == 5 and codes.count(429) == 45
    # Other readers (other addresses) still count, for both variants.
    for n in range(10):
        address = f"198.51.100.{n + 1}"
        assert post(client, f"appeal={banner.pk}&variant=A&kind=conversion",
                    REMOTE_ADDR=address).status_code == 204
    assert totals() == {(banner.pk, "B", "conversion"): 5, (banner.pk, "A", "conversion"): 10}


@pytest.mark.django_db
def test_the_client_limit_keeps_no_address(client, banner):
    from django.core.cache import cache

    post(client, f"appeal={banner.pk}&variant=A&kind=click", REMOTE_ADDR="203.0.113.77")
    keys = [str(k) for k in getattr(cache, "_cache", {}).keys()]
    assert keys and not any("203.0.113.77" in key for key in keys)
