"""This month's progress from the database, funding.json, and the progress bar."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from samizdat.support.goal import progress_for
from samizdat.support.models import ExchangeRate, FundingGoal

from .rows import make_entry, make_gift, make_pledge

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def goal():
    goal = FundingGoal.load()
    goal.currency = "USD"
    goal.monthly_cost = 1000
    goal.display = FundingGoal.EXACT
    goal.save()
    ExchangeRate.objects.create(goal=goal, currency="EUR", rate=Decimal("1.10"))
    return goal


def test_progress_counts_this_months_gifts_and_active_plans_only(goal):
    start_of_month = NOW.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    make_gift("a@example.org", 10000)                                      # $100
    make_gift("b@example.org", 5000, "EUR")                                # €50 → $55
    refunded, _entry = make_gift("c@example.org", 3000)                    # $30 …
    make_entry(refunded, kind="refund")                                    # … refunded
    make_gift("d@example.org", 77700, paid_at=start_of_month - timedelta(seconds=1))  # last month
    make_pledge("e@example.org", 500)                                      # $5 / month
    make_pledge("f@example.org", 24000, frequency="annual")                # $20 / month
    make_pledge("g@example.org", 1000, "EUR")                              # €10 → $11
    make_pledge("h@example.org", 9900, status="canceled")
    make_pledge("i@example.org", 9900, status="paused")
    make_pledge("j@example.org", 9900, "JPY")                              # no rate

    progress = progress_for(now=NOW, goal=goal)

    assert progress.one_off_minor == 10000 + 5500
    assert progress.recurring_minor == 500 + 2000 + 1100
    assert progress.raised_minor == 19100
    assert progress.percent == 19
    assert progress.left_out == ("JPY",)


def test_funding_json_is_public_cacheable_and_sets_no_cookie(client, goal):
    make_gift("a@example.org", 64399)
    response = client.get("/funding.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert not response.cookies
    assert response.json() == {
        "month": f"{timezone.localtime(NOW):%Y-%m}",
        "currency": "USD",
        "display": "exact",
        "percent": 64,
        "goal": 1000,
        "raised": 643,
    }


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("rounded", {"percent": 64, "goal": 1000, "raised": 600}),
        ("percent", {"percent": 64}),
    ],
)
def test_funding_json_reveals_only_what_the_newsroom_allows(client, goal, display, expected):
    goal.display = display
    goal.save()
    make_gift("a@example.org", 64399)
    data = client.get("/funding.json").json()
    assert {k: v for k, v in data.items() if k not in {"month", "currency", "display"}} == expected
    assert data["display"] == display


def test_funding_json_refuses_writes(client, goal):
    assert client.post("/funding.json").status_code == 405


def test_progress_bar_has_a_text_label_and_no_inline_style(goal):
    template = Template("{% load funding_tags %}{% funding_progress funding %}")
    html = template.render(Context({"funding": {
        "month": "2026-11", "currency": "USD", "display": "rounded", "percent": 130,
        "goal": 10000, "raised": 13000,
    }}))
    assert '<progress class="funding-progress__bar"' in html
    assert 'max="100" value="100"' in html  # a bar past the goal stays full
    assert "About $13,000 of $10,000 raised this month (130%)" in html
    assert "style=" not in html

    html = template.render(Context({"funding": {
        "month": "2026-11", "currency": "USD", "display": "percent", "percent": 42,
    }}))
    assert "42% of this month" in html and "$" not in html


def test_progress_bar_computes_the_figures_when_given_none(goal):
    make_gift("a@example.org", 50000)
    html = Template("{% load funding_tags %}{% funding_progress %}").render(Context({}))
    assert "$500 of $1,000 raised this month (50%)" in html


def test_funding_json_moves_as_soon_as_a_payment_is_recorded(client, goal):
    from samizdat.support import events

    assert client.get("/funding.json").json()["raised"] == 0
    _gift, entry = make_gift("a@example.org", 25000)
    assert client.get("/funding.json").json()["raised"] == 0  # cached
    events.payment_recorded.send(sender=type(entry), entry=entry)
    assert client.get("/funding.json").json()["raised"] == 250


def test_funding_json_follows_a_new_goal_at_once(client, goal):
    assert client.get("/funding.json").json()["goal"] == 1000
    goal.monthly_cost = 12000
    goal.save()
    assert client.get("/funding.json").json()["goal"] == 12000
