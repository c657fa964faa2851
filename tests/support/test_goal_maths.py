"""The funding-goal arithmetic on known numbers."""

from decimal import Decimal

from samizdat.support.charts import bar_chart_svg
from samizdat.support.goal import compute_progress, public_figures, sensible_step

RATES = {"USD": Decimal(1), "EUR": Decimal("1.10"), "GBP": Decimal("1.25")}


def test_progress_adds_one_off_gifts_and_recurring_plans_normalised_to_a_month():
    progress = compute_progress(
        month="2026-11",
        goal_currency="USD",
        goal_major=10_000,
        rates=RATES,
        one_offs=[(2500, "USD"), (1000, "EUR")],  # $25 + €10 → $11
        recurring=[(500, "USD", "monthly"), (12000, "USD", "annual"), (1000, "GBP", "monthly")],
    )
    assert progress.one_off_minor == 2500 + 1100
    assert progress.recurring_minor == 500 + 1000 + 1250  # $5 + $120/12 + £10 → $12.50
    assert progress.raised_minor == 6350
    assert progress.goal_minor == 1_000_000
    assert progress.percent == 0  # $63.50 of $10,000


def test_gift_in_a_currency_without_a_rate_is_left_out_and_reported():
    progress = compute_progress(
        "2026-11", "USD", 100, RATES, one_offs=[(5000, "USD"), (100000, "JPY")], recurring=[]
    )
    assert progress.raised_minor == 5000
    assert progress.left_out == ("JPY",)
    assert progress.percent == 50


def test_zero_decimal_currencies_convert_by_their_own_exponent():
    rates = {"JPY": Decimal("0.0065")}
    progress = compute_progress(
        "2026-11", "USD", 100, rates, one_offs=[(10000, "JPY")], recurring=[]
    )
    assert progress.raised_minor == 6500  # ¥10,000 → $65.00


def test_percent_rounds_down_and_may_pass_one_hundred():
    assert compute_progress("m", "USD", 100, RATES, [(9999, "USD")], []).percent == 99
    assert compute_progress("m", "USD", 100, RATES, [(15000, "USD")], []).percent == 150


def test_sensible_step_is_about_a_twentieth_of_the_goal():
    assert sensible_step(10_000) == 500
    assert sensible_step(3_000) == 100
    assert sensible_step(250) == 10
    assert sensible_step(15) == 1


def test_public_figures_reveal_only_what_the_display_mode_allows():
    progress = compute_progress("2026-11", "USD", 10_000, RATES, [(643_799, "USD")], [])
    assert public_figures(progress, "exact") == {
        "month": "2026-11", "currency": "USD", "display": "exact", "percent": 64,
        "goal": 10_000, "raised": 6437,
    }
    rounded = public_figures(progress, "rounded")
    assert (rounded["goal"], rounded["raised"], rounded["step"]) == (10_000, 6000, 500)
    assert public_figures(progress, "percent") == {
        "month": "2026-11", "currency": "USD", "display": "percent", "percent": 64,
    }


def test_revenue_chart_is_an_accessible_svg_without_style_attributes():
    svg = bar_chart_svg([("Oct", 120_000), ("Nov <b>", 45_000)], "Revenue", str)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<title" in svg and "Oct: 120000" in svg
    assert svg.count('class="chart__bar"') == 2
    assert "style=" not in svg
    assert "<b>" not in svg and "Nov &lt;b&gt;" in svg  # labels are escaped
