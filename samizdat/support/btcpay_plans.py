"""Reminder-based plans for BTCPay Server: a crypto wallet cannot be charged.

A plan starts when its first invoice is paid. Each later period, a few days
before it is due, the supporter receives an e-mail (discreet if the newsroom
chose so) with a fresh invoice's link. The plan stays active while payments
arrive; GRACE_DAYS after a period's due date without one it is past due; after
MAX_MISSED_PERIODS unpaid periods it ends. Every step is an event of the plan,
signed and handed to the same receiver as BTCPay's own, so the ledger and the
plan's state move exactly as for any provider.

A period is paid by a payment on its invoice; which periods are paid is
counted from the ledger (one invoice per period), so a late payment moves the
next due date on by one period.

Where the server has BTCPay's own Subscriptions API, new plans are BTCPay
subscriptions instead (providers/btcpay_subscriptions.py) and get no reminders
from here: BTCPay keeps their periods.
The periodic job `send_btcpay_reminders` runs `run_reminders` hourly.
"""

import calendar
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import emails
from .models import LedgerEntry, Pledge, ProviderEvent
from .money import format_money
from .providers.base import all_providers, get_provider
from .providers.btcpay import BTCPayProvider
from .providers.btcpay_subscriptions import SUBSCRIPTION_PREFIX, is_subscription

__all__ = [
    "PlanPosition",
    "due_date",
    "next_due",
    "plan_position",
    "reminder_plans",
    "run_reminders",
]

logger = logging.getLogger(__name__)

GRACE_DAYS = 7
MAX_MISSED_PERIODS = 3
REMINDER_DAYS_BEFORE = 3
OPEN = (Pledge.Status.ACTIVE, Pledge.Status.PAST_DUE)
PAY_SALT = "samizdat.support.btcpay-period"


def pay_token(pledge, period):
    """The signed token of a reminder's link (support/btcpay_views.py): plan and period."""
    return signing.dumps([pledge.reference, period], salt=PAY_SALT, compress=True)


def _add_months(when, months):
    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def due_date(pledge, period):
    """When period `period` (0 = the first, paid at checkout) is due."""
    months = period * (12 if pledge.frequency == "annual" else 1)
    return _add_months(pledge.activated_at, months)


@dataclass(frozen=True)
class PlanPosition:
    period: int  # the next period to pay
    due_at: object
    missed: int  # periods whose grace has passed unpaid


def plan_position(pledge, provider, now):
    paid = (
        pledge.ledger_entries.filter(kind=LedgerEntry.Kind.PAYMENT)
        .values("source_ref")
        .distinct()
        .count()
    )
    period = max(paid, 1)
    grace = timedelta(days=provider.plan_option("GRACE_DAYS", GRACE_DAYS))
    missed = 0
    while due_date(pledge, period + missed) + grace <= now and missed < 1000:
        missed += 1
    return PlanPosition(period, due_date(pledge, period), missed)


def next_due(pledge, now=None):
    """When an open reminder plan's next payment is due; None for any other plan."""
    try:
        provider = get_provider(pledge.provider)
    except KeyError:
        return None
    if not isinstance(provider, BTCPayProvider) or pledge.status not in OPEN:
        return None
    if pledge.activated_at is None or is_subscription(pledge):
        return None
    return plan_position(pledge, provider, now or timezone.now()).due_at


def reminder_plans():
    """(provider, pledge) for every open plan of a BTCPay provider."""
    for provider in all_providers():
        if not isinstance(provider, BTCPayProvider) or not provider.supports_recurring:
            continue
        pledges = Pledge.objects.filter(
            provider=provider.identifier, status__in=OPEN, activated_at__isnull=False
        ).exclude(subscription_ref__startswith=SUBSCRIPTION_PREFIX)
        for pledge in pledges.select_related("supporter").iterator():
            yield provider, pledge


def run_reminders(now=None):
    """One pass over the open plans; returns {"reminded", "past_due", "ended"} counts."""
    now = now or timezone.now()
    counts = {"reminded": 0, "past_due": 0, "ended": 0}
    for provider, pledge in reminder_plans():
        position = plan_position(pledge, provider, now)
        ref = pledge.reference
        if position.missed >= provider.plan_option("MAX_MISSED_PERIODS", MAX_MISSED_PERIODS):
            provider.deliver_own_event(
                "SamizdatPlanEnded", pledge, f"ended-{ref}", reason="missed_periods"
            )
            counts["ended"] += 1
            continue
        if position.missed and pledge.status == Pledge.Status.ACTIVE:
            provider.deliver_own_event(
                "SamizdatPlanPastDue",
                pledge,
                f"past-due-{ref}-{position.period}",
                period=position.period,
            )
            counts["past_due"] += 1
        lead = timedelta(days=provider.plan_option("REMINDER_DAYS_BEFORE", REMINDER_DAYS_BEFORE))
        if now >= position.due_at - lead and _remind(provider, pledge, position.period):
            counts["reminded"] += 1
    return counts


def _remind(provider, pledge, period):
    """E-mail this period's pay link once; False if sent before or nobody to write to.

    The link opens the period's invoice when it is clicked (support/btcpay_views.py):
    an invoice made now would expire long before a reader opens the e-mail."""
    delivery_id = f"reminder-{pledge.reference}-{period}"
    if ProviderEvent.objects.filter(
        provider=provider.identifier, event_id=f"SamizdatReminderSent:{delivery_id}"
    ).exists():
        return False
    if not pledge.email:
        return False
    language = emails.supporter_language(pledge)
    emails.send(
        to=pledge.email,
        template="btcpay_reminder",
        subject=_("Your contribution to %(outlet)s is due"),
        subject_params={"outlet": emails.outlet_settings().name},
        context={
            "pledge": pledge,
            "pay_url": emails.reader_url(
                "support:btcpay_pay", language, token=pay_token(pledge, period)
            ),
            "pledge_amount": format_money(pledge.amount_minor, pledge.currency, language),
            "due_at": due_date(pledge, period),
            "manage_url": emails.reader_url("support:manage", language),
        },
        language=language,
        message_id=f"btcpay-reminder.{pledge.reference}.{period}",
    )
    provider.deliver_own_event("SamizdatReminderSent", pledge, delivery_id, period=period)
    return True
