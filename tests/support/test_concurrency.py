"""Several deliveries of one event at the same moment write the ledger once (PostgreSQL).

The control disables the row lock and shows the race it prevents: every
thread sees the event unapplied and appends its own payment.
"""

import threading

import pytest
from django.db import connection
from django.db.models.signals import pre_save

from samizdat.support import webhooks
from samizdat.support.models import Contribution, LedgerEntry, ProviderEvent
from samizdat.support.webhooks import receive

pytestmark = [pytest.mark.postgres,
              pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_fundraising_group_hook")]

THREADS = 5


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite has none")


class Delivery:
    def __init__(self, body, headers):
        self.body, self.headers = body, headers


def _deliver_concurrently(demo, contribution):
    """THREADS threads deliver one signed event; each holds at the ledger write until all
    threads that got that far are there, which widens any race to its widest."""
    event = demo.build_event("checkout.completed", {
        "reference": contribution.reference, "amount_minor": contribution.amount_minor,
        "currency": contribution.currency, "frequency": "once", "payment_id": "pay_race",
    })
    body, headers = demo.signed(event)
    at_write = threading.Barrier(THREADS, timeout=3)

    def hold(sender, instance, **kwargs):
        try:
            at_write.wait()
        except threading.BrokenBarrierError:
            pass

    pre_save.connect(hold, sender=LedgerEntry, weak=False, dispatch_uid="race-hold")
    start = threading.Barrier(THREADS)
    statuses = []

    def worker():
        try:
            start.wait()
            statuses.append(receive("demo", Delivery(body, headers))[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        pre_save.disconnect(sender=LedgerEntry, dispatch_uid="race-hold")
    return statuses


def test_concurrent_duplicate_deliveries_write_one_ledger_entry(demo, make_contribution):
    contribution = make_contribution(payment_ref="pay_race")
    statuses = _deliver_concurrently(demo, contribution)
    assert statuses == [200] * THREADS
    assert LedgerEntry.objects.filter(contribution=contribution).count() == 1
    assert ProviderEvent.objects.count() == 1
    assert Contribution.objects.get(pk=contribution.pk).status == "paid"


def test_control_without_the_lock_the_race_writes_duplicates(monkeypatch, demo,
                                                             make_contribution):
    monkeypatch.setattr(webhooks, "_locked", lambda manager: manager)
    # Already linked to its payment, so nothing updates the row before the ledger write.
    contribution = make_contribution(payment_ref="pay_race")
    _deliver_concurrently(demo, contribution)
    assert LedgerEntry.objects.filter(contribution=contribution).count() > 1
