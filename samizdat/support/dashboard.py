"""Figures for the fundraising dashboard: this month against the goal, and the trend.

Everything is in the goal currency (converted at the admin's rates);
amounts in currencies without a rate are left out and named on the page.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from .goal import _round, convert, current_goal, month_bounds, progress_for

# Money readers gave: payments less refunds and lost disputes (and disputes won back),
# before provider fees; the goal's one_off_amounts (goal.py) reads the ledger the same way.
REVENUE_KINDS = ("payment", "refund", "dispute", "reinstated")


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
            kind__in=REVENUE_KINDS,
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


# --- What a fundraiser reads weekly, over a chosen range of dates -------------------------

MAX_RANGE_DAYS = 3 * 366  # at most 37 monthly bars: a chart a person can still read


@dataclass(frozen=True)
class DateRange:
    """From `start` to `end`, both days included, in the site's time zone."""

    start: object  # datetime.date
    end: object

    def bounds(self):
        """[first instant, instant after the last day) as aware datetimes."""
        tz = timezone.get_current_timezone()
        first = datetime.datetime.combine(self.start, datetime.time(), tzinfo=tz)
        after = datetime.datetime.combine(self.end + datetime.timedelta(days=1),
                                          datetime.time(), tzinfo=tz)
        return first, after

    def months(self):
        """"YYYY-MM" of each calendar month the range touches, oldest first."""
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def default_range(today):
    """This month and the eleven before it, up to today."""
    start = today.replace(day=1)
    for _ in range(11):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    return DateRange(start, today)


@dataclass(frozen=True)
class Money:
    """An amount in one currency, for a table: pages format it, the CSV writes it plain."""

    amount_minor: int
    currency: str


@dataclass(frozen=True)
class Table:
    """A figure's rows: the chart's data table on the page and its CSV download."""

    headings: tuple
    rows: tuple


@dataclass(frozen=True)
class Figures:
    range: DateRange
    currency: str  # the goal currency every converted amount is in
    left_out: tuple  # currencies without a rate: in per-currency rows only
    revenue: Table  # per month: one-off, recurring, total
    mrr: Table  # per month end, the last 12 months of the range
    plans: Table  # per month: new and canceled plans
    appeals: Table  # per appeal, variant and currency
    currencies: Table  # per currency


class Converter:
    """Converts to the goal currency at the admin's rates and remembers what it could not."""

    def __init__(self, goal):
        self.currency = goal.currency
        self.rates = goal.rate_map()
        self.left_out = set()

    def __call__(self, amount_minor, currency):
        converted = convert(amount_minor, currency, self.currency, self.rates)
        if converted is None:
            self.left_out.add(currency)
            return None
        return converted

    def total(self, amounts):
        """Sum of {currency: minor} in the goal currency, rounded once (None left out)."""
        values = [self(amount, currency) for currency, amount in sorted(amounts.items())]
        return _round(sum((value for value in values if value is not None), Decimal(0)))


def revenue_groups(date_range):
    """Net ledger totals in the range grouped by month, currency, gift or plan, appeal and
    variant: one query; every revenue figure below is summed from these few rows."""
    from .models import LedgerEntry

    first, after = date_range.bounds()
    return list(
        LedgerEntry.objects.filter(kind__in=REVENUE_KINDS, occurred_at__gte=first,
                                   occurred_at__lt=after)
        .annotate(
            month=TruncMonth("occurred_at"),
            recurring=ExpressionWrapper(Q(pledge__isnull=False), output_field=BooleanField()),
            appeal=Coalesce("contribution__appeal", "pledge__appeal", Value("")),
            variant=Coalesce("contribution__variant", "pledge__variant", Value("")),
        )
        .values("month", "currency", "recurring", "appeal", "variant")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )


def _month_key(value):
    return f"{timezone.localtime(value) if timezone.is_aware(value) else value:%Y-%m}"


def revenue_table(groups, months, convert_to):
    cells = defaultdict(lambda: defaultdict(int))  # (month, recurring) → {currency: minor}
    for row in groups:
        cells[(_month_key(row["month"]), bool(row["recurring"]))][row["currency"]] += row["total"]
    rows = []
    for month in months:
        one_off = convert_to.total(cells[(month, False)])
        recurring = convert_to.total(cells[(month, True)])
        rows.append((month, Money(one_off, convert_to.currency),
                     Money(recurring, convert_to.currency),
                     Money(one_off + recurring, convert_to.currency)))
    return rows


def appeals_table(groups, convert_to, names):
    """One row per appeal, variant and currency, the best-earning appeal first."""
    sums = defaultdict(int)
    for row in groups:
        sums[(row["appeal"], row["variant"], row["currency"])] += row["total"]
    rows = []
    for (appeal, variant, currency), amount in sums.items():
        converted = convert_to(amount, currency)
        rows.append((appeal_label(appeal, names), variant, Money(amount, currency),
                     None if converted is None else Money(_round(converted),
                                                          convert_to.currency)))
    rows.sort(key=lambda r: (-(r[3].amount_minor if r[3] else 0), r[0], r[1], r[2].currency))
    return rows


def currencies_table(groups, convert_to):
    sums = defaultdict(int)
    for row in groups:
        sums[row["currency"]] += row["total"]
    rows = []
    for currency, amount in sorted(sums.items()):
        converted = convert_to(amount, currency)
        rows.append((currency, Money(amount, currency),
                     None if converted is None else Money(_round(converted),
                                                          convert_to.currency)))
    return rows


def appeal_label(appeal, names):
    """An appeal's name as its app gives it; its id if unnamed; a dash for gifts without."""
    if not appeal:
        return "—"
    return names.get(appeal) or f"#{appeal}"


def appeal_names():
    """{appeal id as stored on gifts: name} from the apps that register
    `samizdat_appeal_names` (support imports no app above it)."""
    from wagtail import hooks

    names = {}
    for fn in hooks.get_hooks("samizdat_appeal_names"):
        names.update({str(key): str(value) for key, value in fn().items()})
    return names


def mrr_months(date_range, now):
    """The ends of the 12 months up to the range's last month (now, for this month)."""
    end = datetime.datetime.combine(date_range.end, datetime.time(),
                                    tzinfo=timezone.get_current_timezone())
    starts = months_back(min(end, now), 12)
    ends = []
    for start in starts:
        _start, month_end = month_bounds(start)
        ends.append((f"{start:%Y-%m}", min(month_end, now)))
    return ends


def mrr_table(date_range, now, convert_to):
    """Monthly recurring revenue at the end of each month: plans started by then and not
    canceled or paused by then, an annual plan counting a twelfth. One query."""
    from .goal import monthly_equivalent
    from .models import Pledge

    ends = mrr_months(date_range, now)
    running = {
        f"m{index}": Sum("amount_minor", filter=(
            Q(activated_at__lt=at)
            & (Q(canceled_at__isnull=True) | Q(canceled_at__gte=at))
            & ~Q(status=Pledge.Status.PAUSED, paused_at__lt=at)))
        for index, (_month, at) in enumerate(ends)
    }
    groups = list(Pledge.objects.filter(activated_at__isnull=False)
                  .values("currency", "frequency").annotate(**running).order_by())
    rows = []
    for index, (month, _at) in enumerate(ends):
        amounts = {}
        for group in groups:
            total = group[f"m{index}"] or 0
            converted = convert_to(monthly_equivalent(total, group["frequency"]),
                                   group["currency"])
            if converted is not None:
                amounts[group["currency"]] = amounts.get(group["currency"], 0) + converted
        rows.append((month, Money(_round(sum(amounts.values(), Decimal(0))),
                                  convert_to.currency)))
    return rows


def plans_table(date_range, months):
    """New and canceled plans per month of the range: two grouped queries."""
    from .models import Pledge

    first, after = date_range.bounds()
    counted = {}
    for field in ("activated_at", "canceled_at"):
        rows = (Pledge.objects.filter(**{f"{field}__gte": first, f"{field}__lt": after})
                .annotate(month=TruncMonth(field)).values("month")
                .annotate(count=Count("pk"))
                .order_by())
        counted[field] = {_month_key(row["month"]): row["count"] for row in rows}
    return [(month, counted["activated_at"].get(month, 0), counted["canceled_at"].get(month, 0))
            for month in months]


def build_figures(date_range, now=None, goal=None):
    """Every weekly figure for `date_range`, in a fixed number of queries."""
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    goal = goal or current_goal()
    convert_to = Converter(goal)
    months = date_range.months()
    groups = revenue_groups(date_range)
    code = goal.currency
    in_goal = _("in %(currency)s") % {"currency": code}
    return Figures(
        range=date_range,
        currency=code,
        revenue=Table(
            (_("Month"), f"{_('One-off gifts')} ({in_goal})",
             f"{_('Recurring plans')} ({in_goal})", f"{_('Total')} ({in_goal})"),
            tuple(revenue_table(groups, months, convert_to))),
        mrr=Table((_("Month"), f"{_('Monthly recurring revenue')} ({in_goal})"),
                  tuple(mrr_table(date_range, now, convert_to))),
        plans=Table((_("Month"), _("New plans"), _("Canceled plans")),
                    tuple(plans_table(date_range, months))),
        appeals=Table(
            (_("Appeal"), _("Variant"), _("Amount"), f"{_('Amount')} ({in_goal})"),
            tuple(appeals_table(groups, convert_to, appeal_names()))),
        currencies=Table((_("Currency"), _("Amount"), f"{_('Amount')} ({in_goal})"),
                         tuple(currencies_table(groups, convert_to))),
        left_out=tuple(sorted(convert_to.left_out)),
    )
