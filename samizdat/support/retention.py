"""Retention: what is deleted or erased, and when (run daily by `manage.py apply_retention`).

- Abandoned checkouts: contributions and plans still *pending* N days after
  they were started, with no ledger row and no provider event, are deleted;
  so are supporter rows left with no gift or plan at all. Methods whose money
  may come later (a bank transfer, a SEPA debit) keep theirs for
  SAMIZDAT_DELAYED_PENDING_DAYS. A checkout no money reached and that is no
  longer pending (declined, abandoned) loses the address typed into it after N
  days; it never made a supporter (support/models: CheckoutEmail).
- Contact data: a supporter's address (the encrypted e-mail and its blind
  index) is erased M months after their most recent one-off gift, or M'
  months after their plan was canceled, whichever is later. Anyone with an
  active, past-due or paused plan keeps it. A supporter is an address: every
  row under the same blind index is judged together and erased together.

The Supporter row stays as a pseudonymous id the gifts and plans (and so the
ledger) point to: amounts, dates and currencies never change, and neither
do any totals. `forget_supporter` is the one function that erases contact
data (retention and a supporter's own "delete my data" both call it).
"""

import calendar
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from samizdat.core import personal_data

__all__ = [
    "OPEN_PLAN_STATUSES",
    "RetentionReport",
    "apply_retention",
    "delete_abandoned_checkouts",
    "erasable_addresses",
    "erase_lapsed_contact_data",
    "forget_address",
    "forget_supporter",
    "months_before",
    "retention_settings",
]

OPEN_PLAN_STATUSES = ("active", "past_due", "paused")


@dataclass
class RetentionReport:
    contributions_deleted: int = 0
    pledges_deleted: int = 0
    supporters_deleted: int = 0
    addresses_erased: int = 0
    checkout_addresses_erased: int = 0

    def changed(self):
        return any(vars(self).values())


def months_before(moment, months):
    """`moment` minus whole calendar months (the 31st becomes the month's last day)."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def retention_settings():
    from .models import RetentionSettings

    return RetentionSettings.load()


# --- Erasing one supporter ----------------------------------------------------------


def _scrub_events(supporter_ids, email_index):
    """Blank the sealed personal values in the provider events of these supporters' gifts
    and of the unpaid checkouts started with their address."""
    from django.db.models import Q

    from .crypto import _map_personal
    from .models import ProviderEvent

    events = ProviderEvent.objects.filter(
        Q(contribution__supporter__in=supporter_ids) | Q(pledge__supporter__in=supporter_ids)
        | Q(contribution__checkout_email_index=email_index)
        | Q(pledge__checkout_email_index=email_index)
    )
    for event in events.iterator():
        scrubbed = _map_personal(event.payload, lambda value: "")
        if scrubbed != event.payload:
            ProviderEvent.objects.filter(pk=event.pk).update(payload=scrubbed)


def forget_address(email_index, now=None):
    """Erase every supporter row with this blind index; returns how many rows changed.

    Also deletes the address's self-service links and any pending appeal
    reminder, blanks the address on unpaid checkouts started with it, blanks plan
    cancellation reasons (free text they typed) and the
    personal values kept in their provider events. Gifts, plans, ledger rows
    and provider events themselves stay: totals never change.
    """
    from .models import Contribution, ManageLink, Pledge, Supporter

    if not email_index:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(Supporter.objects.filter(email_index=email_index).values_list("pk", flat=True))
        ManageLink.objects.filter(email_index=email_index).delete()
        for handler in personal_data.handlers():  # other apps' rows (core/personal_data.py)
            handler.erase(email_index)
        Pledge.objects.filter(supporter__in=ids).exclude(cancel_reason="").update(
            cancel_reason=""
        )
        _scrub_events(ids, email_index)
        # Checkouts started with the address and never paid hold it themselves.
        for model in (Contribution, Pledge):
            model.objects.filter(checkout_email_index=email_index).update(
                checkout_email="", checkout_email_index="")
        _forget_tasks_and_sessions(email_index)
        return Supporter.objects.filter(pk__in=ids).update(
            email="", email_index="", forgotten_at=now
        )


def _forget_tasks_and_sessions(email_index):
    """Queued or finished task rows whose arguments hold the address's blind index (a
    "send me my link" request), and self-service sessions signed in as it."""
    from django.contrib.sessions.models import Session
    from django.db.models import TextField
    from django.db.models.functions import Cast
    from django_tasks_db.models import DBTaskResult

    from .selfservice import SESSION_KEY

    DBTaskResult.objects.annotate(arguments=Cast("args_kwargs", TextField())).filter(
        arguments__contains=email_index).delete()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if (data.get(SESSION_KEY) or {}).get("index") == email_index:
            session.delete()


def forget_supporter(supporter, now=None):
    """Remove a supporter's contact data, keeping the row the ledger points to.

    The single entry point for erasure: retention calls it, and so does a
    supporter's own "delete my data". Every row with the same address goes,
    with their self-service links and a pending e-mail reminder. Returns the
    number of supporter rows erased (0 if already erased).
    """
    if not supporter.email_index:
        supporter.refresh_from_db(fields=["email_index"])
    erased = forget_address(supporter.email_index, now=now)
    supporter.refresh_from_db()
    return erased


# --- The rules ----------------------------------------------------------------------


def delayed_providers():
    """Aliases of configured providers whose money may arrive long after the checkout."""
    from django.conf import settings

    from .providers.base import get_provider

    aliases = []
    for alias in getattr(settings, "SAMIZDAT_PAYMENT_PROVIDERS", {}):
        try:
            if get_provider(alias).delayed:
                aliases.append(alias)
        except (KeyError, ImportError):
            continue
    return aliases or ["bank_transfer"]


def delayed_pending_days():
    from django.conf import settings

    return int(getattr(settings, "SAMIZDAT_DELAYED_PENDING_DAYS", 60))


def delete_abandoned_checkouts(now=None, days=None, report=None):
    """Delete pending gifts and plans older than `days` that no money or event touched."""
    from .models import Contribution, LedgerEntry, Pledge, ProviderEvent, Supporter

    now = now or timezone.now()
    days = retention_settings().pending_days if days is None else days
    report = report or RetentionReport()
    cutoff = now - timedelta(days=days)
    # Methods whose money may still come with nothing announcing it (a bank transfer)
    # keep their pending gifts much longer: deleting one made a late payment an event
    # for an unknown gift, and staff got 404 for its reference.
    delayed = delayed_providers()
    delayed_cutoff = now - timedelta(days=max(days, delayed_pending_days()))
    for model, field, counter in ((Contribution, "contribution", "contributions_deleted"),
                                  (Pledge, "pledge", "pledges_deleted")):
        stale = model.objects.filter(status=model.Status.PENDING, created_at__lt=cutoff).exclude(
            Exists(LedgerEntry.objects.filter(**{field: OuterRef("pk")}))
        ).exclude(Exists(ProviderEvent.objects.filter(**{field: OuterRef("pk")}))).exclude(
            provider__in=delayed, created_at__gte=delayed_cutoff)
        deleted, _by_model = stale.delete()
        setattr(report, counter, getattr(report, counter) + deleted)
    # A checkout no money reached (declined, abandoned, expired) keeps the address typed
    # into it only as long as a pending one: it earned no supporter, and it has no use.
    # A pending one the provider still holds (a SEPA debit "processing") keeps its row for
    # good, but its address only until the long limit for delayed methods.
    for model in (Contribution, Pledge):
        unpaid = model.objects.filter(supporter__isnull=True).exclude(checkout_email_index="")
        ended = unpaid.filter(created_at__lt=cutoff).exclude(status=model.Status.PENDING)
        stuck = unpaid.filter(created_at__lt=delayed_cutoff, status=model.Status.PENDING)
        report.checkout_addresses_erased += (
            ended.update(checkout_email="", checkout_email_index="")
            + stuck.update(checkout_email="", checkout_email_index=""))
    # Rows a deleted checkout leaves without any gift or plan point to nothing.
    orphans = Supporter.objects.filter(created_at__lt=cutoff).exclude(
        Exists(Contribution.objects.filter(supporter=OuterRef("pk")))
    ).exclude(Exists(Pledge.objects.filter(supporter=OuterRef("pk"))))
    deleted, _by_model = orphans.delete()
    report.supporters_deleted += deleted
    return report


def _latest(rows):
    latest = {}
    for index, *moments in rows:
        for moment in moments:
            if moment is not None and (index not in latest or moment > latest[index]):
                latest[index] = moment
    return latest


def erasable_addresses(now=None, one_off_months=None, canceled_months=None):
    """Blind indexes whose contact data is due for erasure at `now`."""
    from .models import Contribution, Pledge

    now = now or timezone.now()
    prefs = retention_settings()
    one_off_months = prefs.one_off_months if one_off_months is None else one_off_months
    canceled_months = prefs.canceled_months if canceled_months is None else canceled_months
    one_off_cutoff = months_before(now, one_off_months)
    canceled_cutoff = months_before(now, canceled_months)

    key = "supporter__email_index"
    keep = set(
        Pledge.objects.filter(status__in=OPEN_PLAN_STATUSES).exclude(**{key: ""})
        .values_list(key, flat=True)
    )
    # The most recent qualifying date per address: a one-off gift (or any
    # checkout still in progress), and a plan's cancellation.
    gifts = _latest(
        Contribution.objects.exclude(**{key: ""}).exclude(supporter=None).values(key)
        .annotate(started=Max("created_at"), paid=Max("paid_at"))
        .values_list(key, "started", "paid")
    )
    pending_plans = _latest(
        Pledge.objects.exclude(**{key: ""}).exclude(supporter=None)
        .exclude(status__in=[*OPEN_PLAN_STATUSES, Pledge.Status.CANCELED])
        .values(key).annotate(started=Max("created_at")).values_list(key, "started")
    )
    # A plan's cancellation date (its last change if the provider gave none).
    canceled = _latest(
        Pledge.objects.exclude(**{key: ""}).exclude(supporter=None)
        .filter(status=Pledge.Status.CANCELED).values(key)
        .annotate(canceled=Max(Coalesce("canceled_at", "updated_at")))
        .values_list(key, "canceled")
    )

    due = []
    for index in set(gifts) | set(pending_plans) | set(canceled):
        if index in keep:
            continue
        recent = [m for m in (gifts.get(index), pending_plans.get(index)) if m is not None]
        if recent and max(recent) >= one_off_cutoff:
            continue
        if index in canceled and canceled[index] >= canceled_cutoff:
            continue
        due.append(index)
    return sorted(due)


def erase_lapsed_contact_data(now=None, report=None, **limits):
    report = report or RetentionReport()
    now = now or timezone.now()
    for index in erasable_addresses(now=now, **limits):
        if forget_address(index, now=now):
            report.addresses_erased += 1
    return report


def apply_retention(now=None):
    """Both rules with the admin's periods; returns a RetentionReport."""
    now = now or timezone.now()
    report = delete_abandoned_checkouts(now=now)
    erase_lapsed_contact_data(now=now, report=report)
    return report
