"""Gifts in EUR and GBP count towards the goal: the demo ships rates, and staff are warned
where they set the goal when an offered currency has none."""

import pytest
from django.apps import apps

from samizdat.support.goal import current_goal, missing_rates, progress_for
from samizdat.support.models import ExchangeRate

pytestmark = pytest.mark.django_db

GOAL_URL = "/admin/settings/support/fundinggoal/"


def test_the_demo_goal_counts_gifts_in_every_offered_currency(demo, make_contribution):
    gift = make_contribution(amount_minor=10000, currency="EUR")
    demo.complete(gift)
    assert progress_for().left_out  # no rate yet: EUR is left out
    line = apps.get_app_config("support").load_demo(articles=0)
    assert "EUR" in line and "GBP" in line
    assert missing_rates() == []
    assert not progress_for().left_out
    again = apps.get_app_config("support").load_demo(articles=0)
    assert "already set" in again
    assert ExchangeRate.objects.filter(goal=current_goal()).count() == 2


def test_staff_are_warned_where_they_set_the_goal(staff_client):
    admin_client = staff_client
    html = admin_client.get(GOAL_URL, follow=True).content.decode()
    assert "data-missing-rates" in html and "EUR, GBP" in html
    ExchangeRate.objects.create(goal=current_goal(), currency="EUR", rate="1.08")
    html = admin_client.get(GOAL_URL, follow=True).content.decode()
    assert "data-missing-rates" in html and "in GBP, which has no exchange rate" in html
    ExchangeRate.objects.create(goal=current_goal(), currency="GBP", rate="1.27")
    assert "data-missing-rates" not in admin_client.get(GOAL_URL, follow=True).content.decode()


def test_public_progress_is_a_floor_while_a_currency_has_no_rate(demo, make_contribution):
    from django.template.loader import render_to_string

    from samizdat.support.goal_views import funding_data
    from samizdat.support.templatetags.funding_tags import funding_progress

    def label():
        return render_to_string("support/goal/progress.html", funding_progress(funding_data()))

    demo.complete(make_contribution(amount_minor=10000, currency="EUR"))
    assert funding_data().get("partial") is True
    assert "At least" in label()
    apps.get_app_config("support").load_demo(articles=0)
    from django.core.cache import cache

    cache.clear()
    assert "partial" not in funding_data() and "At least" not in label()
