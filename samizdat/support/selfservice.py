"""Self-service rules: what a supporter with a valid link sees and may change.

A supporter is only an e-mail address, known here by its blind index (an
HMAC of the normalised address, support/crypto.py); every pledge and gift
under that address (any letter case) is theirs. What they change is done by
support/actions/plans.py; erasure (donordata.py) still finds cancel_pledge here.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from samizdat.core import selfservice as sections

from .actions import ActionError
from .actions.plans import OPEN_PLEDGE_STATUSES, capabilities, validate_change  # noqa: F401
from .actions.plans import cancel_plan as cancel_pledge  # noqa: F401 - erasure calls it
from .money import format_money

SESSION_KEY = "support_manage"
SESSION_LIFETIME = timedelta(hours=1)

# A request the supporter must correct; `message` is for them. Nothing changed.
SelfServiceError = ActionError


# --- Who is signed in -----------------------------------------------------------------


def sign_in(session, email_index, now=None):
    """Sign in the address with this blind index (support/crypto.py) for an hour.

    The session keeps only the keyed hash, never the address.
    """
    now = now or timezone.now()
    session.cycle_key()  # a fresh session id at every sign-in
    session[SESSION_KEY] = {
        "index": email_index,
        "until": (now + SESSION_LIFETIME).timestamp(),
    }


def signed_in_index(session, now=None):
    """The supporter's blind index while their hour lasts, else None."""
    data = session.get(SESSION_KEY)
    now = now or timezone.now()
    if not data or data.get("until", 0) <= now.timestamp() or not data.get("index"):
        return None
    return data["index"]


def email_for(email_index):
    """The (decrypted) address behind a blind index, or None once it is erased."""
    from .models import Supporter

    supporter = Supporter.objects.with_index(email_index).order_by("-pk").first()
    if supporter is not None and supporter.email:
        return supporter.email
    return sections.address_for(email_index)


def reader_address(email_index):
    """Where a sign-in link may go: a supporter who paid, or a reader another app knows
    (a confirmed newsletter subscriber, core/selfservice.py), else None."""
    supporter = paying_supporter(email_index)
    if supporter is not None and supporter.email:
        return supporter.email
    return sections.address_for(email_index) if email_index else None


def paying_supporter(email_index):
    """The supporter behind a blind index if money from them ever arrived (a recorded
    payment of a gift, or of a plan), else None: a checkout started with someone
    else's address, never paid, earns no e-mail to that address."""
    from .models import Supporter

    if not email_index or not paying_supporter_indexes([email_index]):
        return None
    return Supporter.objects.with_index(email_index).order_by("-pk").first()


def paying_supporter_indexes(email_indexes):
    """Which of these blind indexes are paying supporters (as paying_supporter judges),
    in one query: a newsletter batch thanks them instead of asking."""
    from django.db.models import Q

    from .models import LedgerEntry

    wanted = {index for index in email_indexes if index}
    if not wanted:
        return set()
    rows = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).filter(
        Q(contribution__supporter__email_index__in=wanted)
        | Q(pledge__supporter__email_index__in=wanted)
    ).values_list("contribution__supporter__email_index", "pledge__supporter__email_index")
    return {index for pair in rows for index in pair if index in wanted}


CHECKOUT_KEY = "support_checkout"
CHECKOUT_LIFETIME = timedelta(hours=1)


def remember_checkout(session, reference, now=None):
    """The reader just started paying (their own action): for an hour, this browser
    session may manage what that payment starts, with no e-mail round trip.

    Only the reference is kept, a few at most, in the Django session."""
    now = now or timezone.now()
    until = (now + CHECKOUT_LIFETIME).timestamp()
    kept = {ref: t for ref, t in (session.get(CHECKOUT_KEY) or {}).items()
            if t > now.timestamp() and ref != reference}
    kept = dict(sorted(kept.items(), key=lambda item: item[1])[-4:])
    kept[reference] = until
    session[CHECKOUT_KEY] = kept


def checkout_supporter_index(session, subject, now=None):
    """The blind index this browser session may sign in as after paying for `subject`:
    only while the hour since checkout lasts, once the payment is confirmed."""
    now = now or timezone.now()
    until = (session.get(CHECKOUT_KEY) or {}).get(subject.reference, 0)
    supporter = getattr(subject, "supporter", None)
    if until <= now.timestamp() or supporter is None or not supporter.email_index:
        return None
    return supporter.email_index


def forget_checkout(session, reference):
    kept = dict(session.get(CHECKOUT_KEY) or {})
    if kept.pop(reference, None) is not None:
        session[CHECKOUT_KEY] = kept


def sign_out(session):
    session.pop(SESSION_KEY, None)


def discreet_choice(email_index):
    """The discreet-e-mail box as the manage page shows it: the supporter's own choice,
    else what their latest gift or plan asked for, else the newsroom's default."""
    from .emails import discreet_for
    from .models import Supporter

    supporter = Supporter.objects.with_index(email_index).order_by("-pk").first()
    if supporter is None:
        return discreet_for()
    return discreet_for(supporter=supporter)


def set_discreet(email_index, discreet):
    """The supporter's choice for every e-mail from now on: kept on each Supporter row of
    the address and on each of their gifts and plans (whose own box it replaces)."""
    from django.db import transaction

    from .models import Contribution, Pledge, Supporter

    with transaction.atomic():
        supporters = Supporter.objects.with_index(email_index)
        supporters.update(discreet_emails=bool(discreet))
        for model in (Contribution, Pledge):
            model.objects.filter(supporter__in=supporters).update(discreet_emails=bool(discreet))


# --- What they see ------------------------------------------------------------------
# Everything is found by the address's blind index: every gift and plan
# under any Supporter row with that address is theirs.


def pledges_for(email_index):
    from .models import Pledge

    return (
        Pledge.objects.filter(supporter__email_index=email_index or "-")
        .exclude(status=Pledge.Status.PENDING)
        .select_related("supporter")
        .order_by("-created_at")
    )


def payments_for(email_index):
    """Ledger payments under this address, newest first: what a receipt exists for."""
    from django.db.models import Q

    from .models import LedgerEntry

    email_index = email_index or "-"
    return (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT)
        .filter(
            Q(contribution__supporter__email_index=email_index)
            | Q(pledge__supporter__email_index=email_index)
        )
        .select_related("contribution__supporter", "pledge__supporter")
        .order_by("-occurred_at", "-id")
    )


def payment_for(email_index, entry_id):
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        return None
    return payments_for(email_index).filter(pk=entry_id).first()


def pledge_for(email_index, pledge_id):
    try:
        pledge_id = int(pledge_id)
    except (TypeError, ValueError):
        return None
    return pledges_for(email_index).filter(pk=pledge_id).first()


@dataclass
class PledgeView:
    """A pledge as the page shows it, with the actions its provider allows."""

    pledge: object
    amount: str
    amount_major: str
    can_change: bool
    can_pause: bool
    can_resume: bool
    can_cancel: bool
    # The page where a new card is given and a failed payment tried again; "" if none.
    payment_url: str = ""
    # A plan the supporter pays each period (BTCPay): when the next payment is due.
    next_due: object = None
    # A plan BTCPay keeps (its Subscriptions API): a link to its subscriber portal.
    btcpay_portal: bool = False


def describe(pledge, language):
    from .actions.payments import can_retry, can_update_card
    from .btcpay_plans import next_due
    from .btcpay_subscription_views import has_portal
    from .money import major_string
    from .payment_links import path_for

    fixable = can_update_card(pledge) or can_retry(pledge)
    return PledgeView(
        pledge=pledge,
        amount=format_money(pledge.amount_minor, pledge.currency, language),
        amount_major=major_string(pledge.amount_minor, pledge.currency),
        payment_url=path_for(pledge) if fixable else "",
        **capabilities(pledge),
        next_due=next_due(pledge),
        btcpay_portal=has_portal(pledge),
    )
