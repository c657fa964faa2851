"""The goal figures a banner shows follow the public funding feed without lag."""

import pytest

from samizdat.appeals.funding import funding_figures, money
from samizdat.support import events
from samizdat.support.models import FundingGoal, LedgerEntry
from tests.support.rows import make_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal():
    goal = FundingGoal.load()
    goal.currency = "USD"
    goal.monthly_cost = 1000
    goal.display = FundingGoal.EXACT
    goal.save()
    return goal


def banner_and_feed(client):
    feed = client.get("/funding.json").json()
    return funding_figures("en")["raised"], money(feed["raised"], feed["currency"], "en")


def test_a_payment_moves_the_banner_figure_with_funding_json_at_once(client, goal):
    assert banner_and_feed(client) == ("$0", "$0")  # both cached now
    _gift, entry = make_gift("a@example.org", 25000)
    # As the ledger does once the payment's transaction commits.
    events.payment_recorded.send(sender=LedgerEntry, entry=entry)
    banner, feed = banner_and_feed(client)
    assert feed == "$250"
    assert banner == feed


def test_a_new_goal_reaches_the_banner_at_once(goal):
    assert funding_figures("en")["goal"] == "$1,000"
    goal.monthly_cost = 12000
    goal.save()
    assert funding_figures("en")["goal"] == "$12,000"


def test_one_request_reads_the_feed_once_and_the_next_sees_a_new_goal(goal, rf):
    from unittest import mock

    from django.core.cache import cache

    from samizdat.appeals import funding

    request = rf.get("/news/")
    with mock.patch.object(funding, "cache", wraps=cache) as spy:
        assert funding_figures("en", request)["goal"] == "$1,000"
        assert funding._feed(request)["goal"] == funding._feed()["goal"]
        assert funding_figures("ru", request)["goal"]
        reads = [c for c in spy.method_calls if c[0] == "get"]
    assert len(reads) == 2  # this request once, the call without a request once
    goal.monthly_cost = 12000
    goal.save()
    assert funding_figures("en", rf.get("/news/"))["goal"] == "$12,000"
