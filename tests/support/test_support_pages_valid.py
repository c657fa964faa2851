"""The support page shows the month's goal, what the money does, the methods with their
notes and the privacy promise (issue 12) within the page budget, and every page this
work changed passes the Nu Html Checker in both languages."""

import re

import pytest

from tests.news.test_page_weight import LIMIT, Resources, is_same_origin, static_bytes
from tests.validators import vnu_errors

pytestmark = pytest.mark.django_db


def test_support_page_shows_goal_money_methods_and_promise_in_both_languages(client):
    from samizdat.support.models import FundingGoal

    goal = FundingGoal.load()
    goal.monthly_cost, goal.display = 10_000, FundingGoal.EXACT
    goal.save()
    html = client.get("/support/").content.decode()
    assert re.search(r'<progress class="funding-progress__bar"[^>]*max="100"', html)
    assert "$0 of $10,000 raised this month (0%)" in html
    for heading in (
        "This month",
        "What your money does",
        "How you can pay, and who sees what",
        "Our privacy promise",
    ):
        assert f">{heading}</h2>" in html
    assert "reporters' fees" in html or "reporters&#x27; fees" in html
    assert "never shared or sold" in html
    ru = client.get("/ru/support/").content.decode()
    for heading in (
        "В этом месяце",
        "На что идут ваши деньги",
        "Наше обещание о конфиденциальности",
    ):
        assert f">{heading}</h2>" in ru


def test_staff_edit_what_the_money_does_and_the_promise(client):
    from samizdat.support.models import SupportPageCopy

    SupportPageCopy.objects.create(
        language="en",
        money_does="Two reporters in Tbilisi.",
        privacy_promise="We keep nothing we do not need.",
    )
    html = client.get("/support/").content.decode()
    assert "Two reporters in Tbilisi." in html and "We keep nothing we do not need." in html
    assert "reporters' fees" not in html


@pytest.mark.parametrize("url", ["/support/", "/ru/support/?risk=1"])
def test_support_page_stays_within_the_page_budget_and_fetches_nothing_foreign(
    client, demo_site, url
):
    response = client.get(url)
    parser = Resources()
    parser.feed(response.content.decode())
    total = len(response.content)
    for asset in sorted(set(parser.styles + parser.scripts)):
        if is_same_origin(asset):
            total += len(static_bytes(asset))
    assert total < LIMIT, f"{url}: {total} bytes"
    assert [u for u in parser.fetched if not is_same_origin(u)] == []


def test_changed_support_pages_pass_the_nu_html_checker(client, demo_site, mailoutbox, settings):
    from samizdat.support.payment_links import path_for
    from samizdat.support.providers.base import get_provider
    from tests.support.rows import make_pledge

    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        **settings.SAMIZDAT_PAYMENT_PROVIDERS,
        "btcpay": {"BACKEND": "tests.support.crypto_stand_in.CryptoStandIn"},
    }
    pages = {}
    for prefix in ("/", "/ru/"):
        for path in ("support/", "support/?risk=1&frequency=once", "support/safety/"):
            pages[prefix + path] = client.get(prefix + path).content.decode()
        step = client.post(
            f"{prefix}support/",
            {
                "frequency": "once",
                "currency": "USD",
                "amount": "25",
                "email": "",
                "website": "",
                "risk": "1",
                "discreet_asked": "1",
                "discreet": "1",
            },
        )
        pages[f"{prefix} method step"] = step.content.decode()
    pledge, _entry = make_pledge("reader@example.org", status="past_due")
    get_provider("demo")  # configured
    pages["payment update"] = client.get(path_for(pledge)).content.decode()
    pages["demo card"] = client.get(f"/support/demo-card/{pledge.reference}/").content.decode()
    client.post("/support/manage/", {"email": "reader@example.org"})
    link = re.search(r"https?://\S+(/support/manage/link/\S+/)", mailoutbox[-1].body).group(1)
    client.post(link)
    pages["manage account"] = client.get("/support/manage/account/").content.decode()
    assert all("<html" in html for html in pages.values())
    errors = vnu_errors(pages)
    assert errors == [], "\n".join(errors)
