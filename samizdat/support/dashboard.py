"""Figures for the fundraising dashboard: this month against the goal, and the trend.

Everything is in the goal currency (converted at the admin's rates);
amounts in currencies without a rate are left out and named on the page.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .goal import convert, current_goal, month_bounds, progress_for


@dataclass(frozen=True)
class MonthRevenue:
    month: str  # "YYYY-MM"
    amount_minor: int


@dataclass(frozen=True)
class Dashboard:
    progress: object
    mrr_minor: int
    active_pledges: int
    new_pledges: int
    canceled_pledges: int
    revenue: list
    left_out: tuple
    mismatched_contributions: int = 0
    mismatched_pledges: int = 0
    reconciliations: tuple = ()  # the last ReconciliationRun of each provider
    unknown_payments: int = 0  # provider events for no gift we know, waiting over an hour


def months_back(now, count):
    """Start of each of the last `count` calendar months, oldest first, this one last."""
    start, _end = month_bounds(now)
    starts = [start]
    for _ in range(count - 1):
        previous = starts[-1]
        if previous.month == 1:
            starts.append(previous.replace(year=previous.year - 1, month=12))
        else:
            starts.append(previous.replace(month=previous.month - 1))
    return list(reversed(starts))


def monthly_revenue(now, goal, count=12):
    """Net money received per month (payments less refunds and disputes), all gifts."""
    from .models import LedgerEntry

    starts = months_back(now, count)
    _start, end = month_bounds(now)
    rates = goal.rate_map()
    rows = (
        LedgerEntry.objects.filter(
            occurred_at__gte=starts[0],
            occurred_at__lt=end,
            kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND, LedgerEntry.Kind.DISPUTE,
                      LedgerEntry.Kind.REINSTATED],
        )
        .annotate(month=TruncMonth("occurred_at"))
        .values("month", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("month", "currency")
    )
    totals = {f"{start:%Y-%m}": Decimal(0) for start in starts}
    left_out = set()
    for row in rows:
        key = f"{row['month']:%Y-%m}"
        converted = convert(row["total"], row["currency"], goal.currency, rates)
        if converted is None:
            left_out.add(row["currency"])
        elif key in totals:
            totals[key] += converted
    revenue = [MonthRevenue(month, max(int(total), 0)) for month, total in totals.items()]
    return revenue, left_out


def last_reconciliations():
    """The latest reconcile_provider result for each provider it has run for."""
    from .models import ReconciliationRun

    aliases = sorted(set(ReconciliationRun.objects.order_by().values_list("provider",
                                                                          flat=True)))
    return tuple(ReconciliationRun.objects.filter(provider=alias).first() for alias in aliases)


def build_dashboard(now=None, goal=None):
    from .models import Contribution, Pledge

    now = now or timezone.now()
    goal = goal or current_goal()
    start, end = month_bounds(now)
    progress = progress_for(now=now, goal=goal)
    revenue, left_out = monthly_revenue(now, goal)
    return Dashboard(
        progress=progress,
        mrr_minor=progress.recurring_minor,
        active_pledges=Pledge.objects.filter(status=Pledge.Status.ACTIVE).count(),
        new_pledges=Pledge.objects.filter(activated_at__gte=start, activated_at__lt=end).count(),
        canceled_pledges=Pledge.objects.filter(
            canceled_at__gte=start, canceled_at__lt=end
        ).count(),
        revenue=revenue,
        left_out=tuple(sorted(left_out | set(progress.left_out))),
        mismatched_contributions=Contribution.objects.filter(
            status=Contribution.Status.MISMATCH).count(),
        mismatched_pledges=Pledge.objects.filter(amount_mismatch=True).count(),
        reconciliations=last_reconciliations(),
        unknown_payments=unknown_payments(now),
    )


def unknown_payments(now):
    """Events a provider sent for a gift or plan we do not have, still unapplied after
    an hour (reordered deliveries find theirs within seconds): money staff must trace."""
    from datetime import timedelta

    from .models import ProviderEvent

    return ProviderEvent.objects.filter(
        outcome=ProviderEvent.Outcome.WAITING, contribution__isnull=True, pledge__isnull=True,
        received_at__lt=now - timedelta(hours=1)).count()
