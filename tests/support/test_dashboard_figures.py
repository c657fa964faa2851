"""The fundraising dashboard's weekly figures: what a staff member sees and downloads.

Known ledger rows in the first quarter of 2025 (plus rows outside it and a fee that
must not count); the page's SVG, its tables and the CSV downloads must all show the
same figures, for the dates chosen, and to Fundraising staff only.
"""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from samizdat.support.staff import FUNDRAISING
from tests.support.rows import make_entry, make_gift
from tests.support.rows import make_pledge as make_plan
from tests.support.test_staff import login_verified, staff_user  # noqa: F401

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
Q1 = {"start": "2025-01-01", "end": "2025-03-31"}


def at(day, hour=12):
    return timezone.make_aware(datetime.fromisoformat(f"{day}T{hour:02d}:00"))


@pytest.fixture
def ledger():
    """USD goal with a EUR rate of 1.10 and no GBP rate; the quarter's money and plans."""
    from samizdat.support.models import ExchangeRate, FundingGoal

    goal = FundingGoal.load()
    goal.currency = "USD"
    goal.save()
    ExchangeRate.objects.create(goal=goal, currency="EUR", rate=Decimal("1.10"))

    def gift(amount, currency, day, appeal="", variant=""):
        made, _entry = make_gift(f"{day}@example.org", amount, currency, paid_at=at(day))
        made.appeal, made.variant = appeal, variant
        made.save()
        return made

    first = gift(10000, "USD", "2025-01-15", "7", "A")
    make_entry(first, amount_minor=-300, kind="fee", occurred_at=at("2025-01-15"))
    gift(5000, "EUR", "2025-02-10", "7", "B")
    make_entry(first, amount_minor=-2000, kind="refund", occurred_at=at("2025-02-20"))
    gift(3000, "GBP", "2025-03-05")
    gift(99900, "USD", "2025-05-01", "7", "A")  # after the range
    gift(77700, "USD", "2024-12-31")  # before it
    monthly, _entry = make_plan(
        "m@example.org",
        1000,
        activated_at=at("2025-01-05"),
        status="canceled",
        canceled_at=at("2025-02-25"),
    )
    make_entry(monthly, occurred_at=at("2025-02-05"))
    make_plan("a@example.org", 12000, frequency="annual", activated_at=at("2025-03-01"))
    return goal


@pytest.fixture
def fina(client, staff_user):  # noqa: F811
    login_verified(client, staff_user("fina", [FUNDRAISING]))
    return client


def chart(page, ident):
    svg = re.search(rf'<svg[^>]*data-chart="{ident}".*?</svg>', page, re.S).group(0)
    return ET.fromstring(svg)


def shapes(svg, tag):
    """The chart's bars or points (not its legend's keys)."""
    return [
        shape
        for shape in svg.iter(f"{SVG}{tag}")
        if shape.get("class") in ("chart__bar", "chart__point")
    ]


def tips(svg, tag):
    """What a pointer over each bar or point shows."""
    return [shape.find(f"{SVG}title").text for shape in shapes(svg, tag)]


def download(client, figure, params):
    response = client.get(f"/admin/fundraising/csv/{figure}/", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_money_per_month_splits_one_off_and_recurring_from_the_ledger(fina, ledger):
    page = fina.get("/admin/fundraising/", Q1).content.decode()
    svg = chart(page, "chart-revenue")
    assert svg.find(f"{SVG}title").text.startswith("Money received per month")
    assert tips(svg, "rect") == [
        "2025-01 · One-off gifts: $100",
        "2025-02 · One-off gifts: $35",
        "2025-03 · One-off gifts: $0",
        "2025-01 · Recurring plans: $10",
        "2025-02 · Recurring plans: $10",
        "2025-03 · Recurring plans: $120",
    ]
    heights = {
        tip: float(rect.get("height"))
        for tip, rect in zip(tips(svg, "rect"), shapes(svg, "rect"), strict=True)
    }
    # Bars are to scale: $120 is 1.2 times $100.
    assert heights["2025-03 · Recurring plans: $120"] == pytest.approx(
        1.2 * heights["2025-01 · One-off gifts: $100"], abs=0.2
    )
    # The same figures as a table on the page and as the CSV (GBP has no rate: left out).
    assert '<th scope="row">2025-02</th><td>$35.00</td><td>$10.00</td><td>$45.00</td>' in page
    assert "Amounts in GBP have no exchange rate" in page
    assert download(fina, "revenue", Q1) == [
        ["Month", "One-off gifts (in USD)", "Recurring plans (in USD)", "Total (in USD)"],
        ["2025-01", "100", "10", "110"],
        ["2025-02", "35", "10", "45"],
        ["2025-03", "0", "120", "120"],
    ]


def test_recurring_revenue_new_and_canceled_plans(fina, ledger):
    page = fina.get("/admin/fundraising/", Q1).content.decode()
    points = tips(chart(page, "chart-mrr"), "circle")
    assert len(points) == 12 and points[0] == "2024-04: $0"
    assert points[-3:] == ["2025-01: $10", "2025-02: $0", "2025-03: $10"]
    assert tips(chart(page, "chart-plans"), "rect") == [
        "2025-01 · New plans: 1",
        "2025-02 · New plans: 0",
        "2025-03 · New plans: 1",
        "2025-01 · Canceled plans: 0",
        "2025-02 · Canceled plans: 1",
        "2025-03 · Canceled plans: 0",
    ]
    assert download(fina, "plans", Q1)[1:] == [
        ["2025-01", "1", "0"],
        ["2025-02", "0", "1"],
        ["2025-03", "1", "0"],
    ]
    assert download(fina, "mrr", Q1)[-3:] == [
        ["2025-01", "10"],
        ["2025-02", "0"],
        ["2025-03", "10"],
    ]


def test_revenue_by_appeal_variant_and_currency(fina, ledger):
    from samizdat.appeals.models import Appeal
    from samizdat.support.models import Contribution

    appeal = Appeal.objects.create(name="Spring drive", placement="banner")
    Contribution.objects.filter(appeal="7").update(appeal=str(appeal.pk))
    page = fina.get("/admin/fundraising/", Q1).content.decode()
    assert tips(chart(page, "chart-appeals"), "rect") == [
        "—: $140",
        "Spring drive · A: $80",
        "Spring drive · B: $55",
    ]
    assert download(fina, "appeals", Q1) == [
        ["Appeal", "Variant", "Amount", "Amount (in USD)"],
        ["—", "", "140", "140"],
        ["Spring drive", "A", "80", "80"],
        ["Spring drive", "B", "50", "55"],
        ["—", "", "30", ""],  # GBP: shown in its own currency, no rate to convert
    ]
    assert tips(chart(page, "chart-currencies"), "rect") == ["EUR: $55", "USD: $220"]
    assert download(fina, "currencies", Q1)[1:] == [
        ["EUR", "50", "55"],
        ["GBP", "30", ""],
        ["USD", "220", "220"],
    ]
    assert "<td>£30.00</td><td>no exchange rate</td>" in page


def test_the_date_range_filters_every_figure(fina, ledger):
    february = {"start": "2025-02-01", "end": "2025-02-28"}
    page = fina.get("/admin/fundraising/", february).content.decode()
    assert tips(chart(page, "chart-revenue"), "rect") == [
        "2025-02 · One-off gifts: $35",
        "2025-02 · Recurring plans: $10",
    ]
    assert download(fina, "currencies", february)[1:] == [
        ["EUR", "50", "55"],
        ["USD", "-10", "-10"],
    ]
    # A refund larger than the month's gifts: no bar, but the amount is said as it is.
    appeals = chart(page, "chart-appeals")
    assert tips(appeals, "rect") == ["#7 · B: $55", "—: $10", "#7 · A: -$20"]
    assert float(shapes(appeals, "rect")[-1].get("width")) == 0
    # The CSV buttons carry the dates shown.
    assert 'href="/admin/fundraising/csv/appeals/?start=2025-02-01&amp;end=2025-02-28"' in page


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start": "2025-13-01", "end": "2025-03-31"}, "Enter a valid date."),
        (
            {"start": "2025-03-01", "end": "2025-01-31"},
            "The start date must be on or before the end date.",
        ),
        ({"start": "2015-01-01", "end": "2025-01-31"}, "Choose at most three years at a time."),
    ],
)
def test_bad_dates_get_a_clear_error_and_change_nothing(fina, ledger, params, message):
    page = fina.get("/admin/fundraising/", params).content.decode()
    assert message in page and 'data-figure="range-error"' in page
    default = fina.get("/admin/fundraising/").content.decode()
    # The figures are the default range's, exactly as without any dates.
    assert (
        chart(page, "chart-revenue").find(f"{SVG}desc").text
        == chart(default, "chart-revenue").find(f"{SVG}desc").text
    )
    response = fina.get("/admin/fundraising/csv/revenue/", params)
    assert response.status_code == 400 and message in response.content.decode()
    assert "text/csv" not in response["Content-Type"]


def test_csv_cells_are_never_formulas(fina, ledger):
    gift, _entry = make_gift("x@example.org", 500, "USD", paid_at=at("2025-01-20"))
    gift.appeal, gift.variant = "9", '=HYPERLINK("http://evil.example","x")'
    gift.save()
    rows = download(fina, "appeals", Q1)
    assert ["#9", '\'=HYPERLINK("http://evil.example","x")', "5", "5"] in rows


def test_only_fundraising_staff_see_figures(client, staff_user, ledger):  # noqa: F811
    for url in ("/admin/fundraising/", "/admin/fundraising/csv/revenue/"):
        response = client.get(url, Q1)
        assert response.status_code == 302 and "/login/" in response["Location"]
    login_verified(client, staff_user("ed", ["Editor"]))
    for url in (
        "/admin/fundraising/",
        "/admin/fundraising/csv/revenue/",
        "/admin/fundraising/csv/appeals/",
    ):
        response = client.get(url, Q1)
        assert response.status_code in (302, 403), url
        assert "2025-01" not in response.content.decode()


def test_figures_take_the_same_queries_however_many_rows(ledger):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from samizdat.support.dashboard import DateRange, build_figures

    q1 = DateRange(datetime(2025, 1, 1).date(), datetime(2025, 3, 31).date())
    with CaptureQueriesContext(connection) as few:
        build_figures(q1)
    for day in range(1, 29):
        make_gift(f"more{day}@example.org", 100, "EUR", paid_at=at(f"2025-02-{day:02d}"))
        make_plan(f"plan{day}@example.org", 100, activated_at=at(f"2025-03-{day:02d}"))
    with CaptureQueriesContext(connection) as many:
        build_figures(q1)
    assert len(many) == len(few) <= 8


def test_listing_downloads_are_visible_buttons(fina, ledger):
    page = fina.get("/admin/fundraising/contributions/").content.decode()
    buttons = re.findall(r'<a [^>]*class="[^"]*w-header-button[^"]*"[^>]*>', page)
    assert any("export=csv" in button for button in buttons)
    assert any("export=xlsx" in button for button in buttons)


def test_gift_and_plan_pages_name_them_and_show_money_as_the_admin_does(fina, ledger):
    from samizdat.support.models import Contribution, Pledge

    gift, _entry = make_gift("big@example.org", 75500, "USD", paid_at=at("2025-01-20"))
    page = fina.get(f"/admin/fundraising/contributions/inspect/{gift.pk}/").content.decode()
    assert "$755.00" in page and "75500" not in page
    plan = Pledge.objects.get(frequency="annual")
    page = fina.get(f"/admin/fundraising/pledges/inspect/{plan.pk}/").content.decode()
    assert "$120.00/annual" in page and "12000" not in page
    # One name each, in the menu and on the pages.
    menu = fina.get("/admin/").content.decode()
    assert "One-off gifts" in menu and "Recurring plans" in menu
    assert "Regular pledges" not in menu
    listing = fina.get("/admin/fundraising/pledges/").content.decode()
    assert "<title>Recurring plans" in listing
    assert str(Contribution._meta.verbose_name_plural) == "one-off gifts"


def test_the_dashboard_speaks_russian(fina, ledger, django_user_model):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(django_user_model.objects.get(username="fina"))
    profile.preferred_language = "ru"
    profile.save()
    page = fina.get("/admin/fundraising/", Q1).content.decode()
    assert "Поступления по валютам" in page and "Показать за эти даты" in page
    assert "Регулярные пожертвования" in page  # the sidebar and the chart's legend
    assert download(fina, "plans", Q1)[0] == ["Месяц", "Новые", "Отменённые"]
