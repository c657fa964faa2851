"""Funding-goal arithmetic: how much of this month's cost readers cover.

Pure functions over plain numbers first (tested on known figures); the
database queries that feed them are at the bottom. Money stays in integer
minor units; conversions run in Decimal and round once, at the end.
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from babel.numbers import get_currency_precision

MONTHLY, ANNUAL = "monthly", "annual"
MONTHS_PER_INTERVAL = {MONTHLY: 1, ANNUAL: 12}


def minor_exponent(currency):
    """Digits after the decimal point (2 for USD, 0 for JPY)."""
    return get_currency_precision(currency)


def to_major(amount_minor, currency):
    return Decimal(amount_minor) / (10 ** minor_exponent(currency))


def convert(amount_minor, currency, goal_currency, rates):
    """`amount_minor` of `currency` in goal-currency minor units (Decimal), or None.

    `rates` maps a currency to how many goal-currency units one unit is worth.
    """
    if currency == goal_currency:
        return Decimal(amount_minor)
    rate = rates.get(currency)
    if rate is None:
        return None
    return to_major(amount_minor, currency) * Decimal(rate) * (10 ** minor_exponent(goal_currency))


def monthly_equivalent(amount_minor, interval):
    """A recurring amount per month: an annual plan counts one twelfth."""
    return Decimal(amount_minor) / MONTHS_PER_INTERVAL[interval]


def _round(value):
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Progress:
    month: str  # "YYYY-MM"
    currency: str
    goal_minor: int
    one_off_minor: int
    recurring_minor: int
    left_out: tuple = field(default_factory=tuple)  # currencies without a rate

    @property
    def raised_minor(self):
        return self.one_off_minor + self.recurring_minor

    @property
    def percent(self):
        """Whole percent reached, rounded down (so 99.6 % is not "100 %")."""
        if self.goal_minor <= 0:
            return 0
        return self.raised_minor * 100 // self.goal_minor


def compute_progress(month, goal_currency, goal_major, rates, one_offs, recurring):
    """Progress for `month`.

    one_offs: (amount_minor, currency) of gifts paid this month, net of refunds.
    recurring: (amount_minor, currency, interval) of plans active now.
    """
    left_out = set()
    one_off_total = Decimal(0)
    for amount, currency in one_offs:
        converted = convert(amount, currency, goal_currency, rates)
        if converted is None:
            left_out.add(currency)
        else:
            one_off_total += converted
    recurring_total = Decimal(0)
    for amount, currency, interval in recurring:
        converted = convert(monthly_equivalent(amount, interval), currency, goal_currency, rates)
        if converted is None:
            left_out.add(currency)
        else:
            recurring_total += converted
    return Progress(
        month=month,
        currency=goal_currency,
        goal_minor=goal_major * 10 ** minor_exponent(goal_currency),
        one_off_minor=_round(one_off_total),
        recurring_minor=_round(recurring_total),
        left_out=tuple(sorted(left_out)),
    )


def sensible_step(goal_major):
    """A round step of about a twentieth of the goal: 1, 2 or 5 times a power of ten.

    10,000 → 500; 3,000 → 100; 250 → 10. Fine enough to show movement, coarse
    enough not to reveal single gifts.
    """
    if goal_major <= 20:
        return 1
    target = goal_major / 20
    power = 10 ** math.floor(math.log10(target))
    for multiple in (5, 2, 1):
        if multiple * power <= target:
            return multiple * power
    return power


def public_figures(progress, display):
    """The dict funding.json serves: only what `display` allows."""
    data = {
        "month": progress.month,
        "currency": progress.currency,
        "display": display,
        "percent": progress.percent,
    }
    if progress.left_out:
        # Gifts in a currency without a rate are not counted: the figures are a floor.
        data["partial"] = True
    exponent = minor_exponent(progress.currency)
    goal_major = progress.goal_minor // 10**exponent
    raised_major = progress.raised_minor // 10**exponent
    if display == "exact":
        data["goal"] = goal_major
        data["raised"] = raised_major
    elif display == "rounded":
        step = sensible_step(goal_major)
        data["goal"] = int(round(goal_major / step) * step)
        data["raised"] = raised_major // step * step  # down: never overstate
        data["step"] = step
    return data


# --- Database ---------------------------------------------------------------


def month_bounds(now):
    """[start, end) of the calendar month containing `now`, in the site's time zone."""
    from django.utils import timezone

    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        end = start.replace(year=start.year + 1, month=1)
    else:
        end = start.replace(month=start.month + 1)
    return start, end


# Illustrative rates for the demo only (US dollars per unit): a demo goal then counts
# every offered currency. A real newsroom sets and updates its own in the admin.
DEMO_USD_RATES = {"USD": "1", "EUR": "1.08", "GBP": "1.27"}


def missing_rates(goal=None):
    """Offered currencies with no exchange rate: gifts in them count nowhere in the goal."""
    return (goal or current_goal()).missing_rates()


def ensure_demo_rates():
    """Give the demo goal a rate for each offered currency it lacks (never overwrites)."""
    from decimal import Decimal

    from .models import ExchangeRate

    goal = current_goal()
    base = Decimal(DEMO_USD_RATES.get(goal.currency, "0"))
    added = []
    for currency in missing_rates(goal):
        if currency in DEMO_USD_RATES and base:
            rate = (Decimal(DEMO_USD_RATES[currency]) / base).quantize(Decimal("0.00000001"))
            ExchangeRate.objects.create(goal=goal, currency=currency, rate=rate)
            added.append(currency)
    return added


def current_goal():
    from .models import FundingGoal

    return FundingGoal.load()


def progress_for(now=None, goal=None):
    """This month's progress from the ledger and the active pledges."""
    from django.utils import timezone

    now = now or timezone.now()
    goal = goal or current_goal()
    start, end = month_bounds(now)
    return compute_progress(
        month=f"{start:%Y-%m}",
        goal_currency=goal.currency,
        goal_major=goal.monthly_cost,
        rates=goal.rate_map(),
        one_offs=one_off_amounts(start, end),
        recurring=active_recurring_amounts(),
    )


def _self_paid_plan_providers():
    """Aliases of providers whose plans are paid by the supporter each period (BTCPay):
    such a plan counts only as the payments it made, never as a promise."""
    from .providers.base import all_providers

    return [p.identifier for p in all_providers() if not p.collects_recurring]


def one_off_amounts(start, end):
    """(net amount, currency) of one-off gifts in [start, end): payments less refunds.

    Read from the ledger, the one record of money that moved; fees are not
    subtracted (the goal is what readers gave).
    """
    from django.db.models import Q, Sum

    from .models import LedgerEntry

    # A plan the supporter pays each period counts as its payments, like gifts.
    paid_by_period = Q(pledge__provider__in=_self_paid_plan_providers())
    rows = (
        LedgerEntry.objects.filter(
            Q(contribution__isnull=False) | paid_by_period,
            occurred_at__gte=start,
            occurred_at__lt=end,
            kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND, LedgerEntry.Kind.DISPUTE,
                      LedgerEntry.Kind.REINSTATED],
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency")
    )
    return [(row["total"], row["currency"]) for row in rows]


def active_recurring_amounts():
    """(amount, currency, interval) summed over active pledges, by currency and interval:
    plans a provider collects by itself, not those paid each period by hand."""
    from django.db.models import Sum

    from .models import Pledge

    rows = (
        Pledge.objects.filter(status=Pledge.Status.ACTIVE)
        .exclude(provider__in=_self_paid_plan_providers())
        .values("currency", "frequency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency", "frequency")
    )
    return [(row["total"], row["currency"], row["frequency"]) for row in rows]
