"""Money rows (supporters, events, ledger entries, paid gifts and pledges), built the way
the ledger writes them, for tests that start from a supporter's history."""

_counter = iter(range(1, 10**9))


def make_supporter(email):
    from samizdat.support.models import Supporter

    return Supporter.objects.create(email=email)


def make_event(provider="demo", subject=None, type="test.event", occurred_at=None):
    from django.utils import timezone

    from samizdat.support.models import Contribution, ProviderEvent

    kwargs = {}
    if isinstance(subject, Contribution):
        kwargs["contribution"] = subject
    elif subject is not None:
        kwargs["pledge"] = subject
    return ProviderEvent.objects.create(
        provider=provider,
        event_id=f"evt_test_{next(_counter)}",
        type=type,
        payload={},
        occurred_at=occurred_at or timezone.now(),
        outcome="applied",
        **kwargs,
    )


def make_entry(subject, amount_minor=None, kind="payment", occurred_at=None):
    from django.utils import timezone

    from samizdat.support.models import Contribution, LedgerEntry

    occurred_at = occurred_at or timezone.now()
    if amount_minor is None:
        amount_minor = subject.amount_minor if kind == "payment" else -subject.amount_minor
    field = "contribution" if isinstance(subject, Contribution) else "pledge"
    return LedgerEntry.objects.create(
        kind=kind,
        amount_minor=amount_minor,
        currency=subject.currency,
        event=make_event(subject.provider, subject, occurred_at=occurred_at),
        provider=subject.provider,
        provider_ref=f"ref_{next(_counter)}",
        occurred_at=occurred_at,
        **{field: subject},
    )


def make_gift(
    email="reader@example.org",
    amount_minor=2500,
    currency="USD",
    language="en",
    paid_at=None,
    provider="demo",
):
    """A paid one-off gift with its ledger payment."""
    from django.utils import timezone

    from samizdat.support.models import Contribution

    paid_at = paid_at or timezone.now()
    gift = Contribution.objects.create(
        supporter=make_supporter(email) if email else None,
        provider=provider,
        status="paid",
        amount_minor=amount_minor,
        currency=currency,
        language=language,
        paid_at=paid_at,
    )
    entry = make_entry(gift, occurred_at=paid_at)
    return gift, entry


def make_pledge(
    email="reader@example.org",
    amount_minor=500,
    currency="USD",
    frequency="monthly",
    status="active",
    language="en",
    provider="demo",
    activated_at=None,
    canceled_at=None,
    with_payment=True,
):
    from django.utils import timezone

    from samizdat.support.models import Pledge, Supporter

    supporter = Supporter.objects.with_email(email).first() or make_supporter(email)
    pledge = Pledge.objects.create(
        supporter=supporter,
        provider=provider,
        status=status,
        amount_minor=amount_minor,
        currency=currency,
        frequency=frequency,
        language=language,
        subscription_ref=f"sub_{next(_counter)}",
        activated_at=activated_at or timezone.now(),
        canceled_at=canceled_at,
    )
    entry = make_entry(pledge, occurred_at=pledge.activated_at) if with_payment else None
    return pledge, entry
