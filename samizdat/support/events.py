"""Signals sent after money state changes, for e-mails and counters to hook into.

Each is sent once per change, after the transaction that made it commits,
so a receiver never sees state that could still roll back.

- payment_recorded(entry): a LedgerEntry of kind "payment" was appended.
- renewal_failed(pledge): a recurring payment failed; the pledge is past_due.
- pledge_canceled(pledge): the pledge reached "canceled" (by the supporter,
  staff, or the provider giving up after failed retries).
- pledge_activated(pledge): the first successful checkout of a pledge.
- contribution_refunded(contribution): a refund or dispute was recorded.
- funding_changed(): the public funding figures (funding.json) were dropped from
  the cache because money moved or the goal changed; copies kept by other apps
  must go too. Sent by the receiver of the signals above, so it follows them.
"""

from django.dispatch import Signal

__all__ = [
    "contribution_refunded",
    "funding_changed",
    "payment_recorded",
    "pledge_activated",
    "pledge_canceled",
    "renewal_failed",
]

payment_recorded = Signal()
renewal_failed = Signal()
pledge_canceled = Signal()
pledge_activated = Signal()
contribution_refunded = Signal()
funding_changed = Signal()
