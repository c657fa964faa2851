"""A receipt and its ledger entry keep what was true when the money moved."""

import pytest

from samizdat.support.models import LedgerEntry, Pledge
from samizdat.support.receipts import receipt_context

pytestmark = pytest.mark.django_db


def test_changing_the_plan_does_not_rewrite_the_old_payment_or_its_receipt(
        client, django_capture_on_commit_callbacks):
    checkout = client.post("/support/", {
        "frequency": "monthly", "currency": "USD", "amount": "2",
        "email": "reader@example.org", "method": "demo", "website": ""})["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        thanks = client.post(checkout, {"action": "pay"})["Location"]
    client.post(f"{thanks}manage/")
    pledge = Pledge.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/support/manage/pledges/{pledge.pk}/",
                    {"action": "change", "amount": "3", "frequency": "annual"})
    pledge.refresh_from_db()
    assert (pledge.amount_minor, pledge.frequency) == (300, "annual")

    entry = LedgerEntry.objects.get(pledge=pledge, kind="payment")
    assert (entry.amount_minor, entry.frequency) == (200, "monthly")
    receipt = client.get(f"/support/manage/receipts/{entry.pk}/").content.decode()
    assert "Monthly contribution" in receipt and "$2.00" in receipt
    assert "Annual" not in receipt
    account = client.get("/support/manage/account/").content.decode()
    payments = account[account.index('id="payments"'):]
    assert "Monthly contribution" in payments and "$2.00" in payments
    assert receipt_context(entry, "en")["kind"] == "Monthly contribution"
