"""Self-service rules: what a supporter with a valid link sees and may change.

A supporter is only an e-mail address, known here by its blind index (an
HMAC of the normalised address, support/crypto.py); every pledge and gift
under that address (any letter case) is theirs. Changes to a plan are requests to the
provider (cancel_recurring / change_recurring / pause_recurring); the
provider's own verified event then moves our state, exactly as for a
change made on the provider's side.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .money import AmountError, format_money, parse_amount
from .providers.base import ProviderError, get_provider

SESSION_KEY = "support_manage"
SESSION_LIFETIME = timedelta(hours=1)
RECURRING = ("monthly", "annual")
OPEN_PLEDGE_STATUSES = ("active", "past_due", "paused")


class SelfServiceError(Exception):
    """A request the supporter must correct; `message` is for them. Nothing changed."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


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
    return supporter.email if supporter is not None and supporter.email else None


def paying_supporter(email_index):
    """The supporter behind a blind index if money from them ever arrived (a recorded
    payment of a gift, or of a plan), else None: a checkout started with someone
    else's address, never paid, earns no e-mail to that address."""
    from django.db.models import Q

    from .models import LedgerEntry, Supporter

    paid = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).filter(
        Q(contribution__supporter__email_index=email_index)
        | Q(pledge__supporter__email_index=email_index))
    if not email_index or not paid.exists():
        return None
    return Supporter.objects.with_index(email_index).order_by("-pk").first()


def sign_out(session):
    session.pop(SESSION_KEY, None)


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


def describe(pledge, language):
    from .money import major_string

    try:
        provider = get_provider(pledge.provider)
    except KeyError:
        provider = None
    is_open = pledge.status in OPEN_PLEDGE_STATUSES
    return PledgeView(
        pledge=pledge,
        amount=format_money(pledge.amount_minor, pledge.currency, language),
        amount_major=major_string(pledge.amount_minor, pledge.currency),
        can_change=bool(provider and provider.supports_change and is_open),
        can_pause=bool(provider and provider.supports_pause and pledge.status == "active"),
        can_resume=bool(provider and provider.supports_pause and pledge.status == "paused"),
        can_cancel=bool(provider and provider.supports_cancel and is_open),
    )


# --- What they change -----------------------------------------------------------------


def amount_limits(currency, frequency):
    """(minimum, maximum) in minor units, from the admin's options or the defaults."""
    from wagtail.models import Site

    from .models import DEFAULT_AMOUNTS, AmountOption

    site = Site.objects.filter(is_default_site=True).first()
    option = None
    if site is not None:
        option = AmountOption.objects.filter(
            setting__site=site, currency=currency, frequency=frequency
        ).first()
    if option is not None:
        minimum, maximum = option.minimum, option.maximum
    else:
        _presets, _default, minimum, maximum = DEFAULT_AMOUNTS[frequency]
    return parse_amount(minimum, currency), parse_amount(maximum, currency)


def validate_change(pledge, amount_text, frequency):
    """(amount_minor, frequency) to ask the provider for, or SelfServiceError."""
    if frequency not in RECURRING:
        raise SelfServiceError(_("Choose monthly or annual."))
    try:
        amount = parse_amount(amount_text, pledge.currency)
    except AmountError as exc:
        raise SelfServiceError(exc.message) from exc
    minimum, maximum = amount_limits(pledge.currency, frequency)
    if amount < minimum:
        raise SelfServiceError(
            _("The minimum is %(amount)s.") % {"amount": format_money(minimum, pledge.currency)}
        )
    if amount > maximum:
        raise SelfServiceError(
            _("The maximum is %(amount)s.") % {"amount": format_money(maximum, pledge.currency)}
        )
    if amount == pledge.amount_minor and frequency == pledge.frequency:
        raise SelfServiceError(_("That is your current plan: nothing to change."))
    return amount, frequency


def _provider_call(pledge, capability, call):
    view = describe(pledge, None)
    if not getattr(view, capability):
        raise SelfServiceError(_("This change is not possible for this plan."))
    try:
        call(get_provider(pledge.provider))
    except ProviderError as exc:
        raise SelfServiceError(exc.message) from exc


def change_pledge(pledge, amount_text, frequency):
    amount, frequency = validate_change(pledge, amount_text, frequency)
    _provider_call(
        pledge,
        "can_change",
        lambda provider: provider.change_recurring(
            pledge,
            amount_minor=amount if amount != pledge.amount_minor else None,
            frequency=frequency if frequency != pledge.frequency else None,
        ),
    )


def pause_pledge(pledge):
    _provider_call(pledge, "can_pause", lambda provider: provider.pause_recurring(pledge))


def resume_pledge(pledge):
    _provider_call(
        pledge, "can_resume", lambda provider: provider.pause_recurring(pledge, resume=True)
    )


def cancel_pledge(pledge, reason=""):
    """Ask the provider to cancel; keep the supporter's reason (optional) for staff."""
    from .models import Pledge

    reason = " ".join((reason or "").split())[:500]
    _provider_call(
        pledge, "can_cancel", lambda provider: provider.cancel_recurring(pledge, reason=reason)
    )
    if reason:
        Pledge.objects.filter(pk=pledge.pk).update(cancel_reason=reason)
