"""After "Delete my data", the receipt links already e-mailed stop working."""

import pytest

from samizdat.support.models import LedgerEntry
from samizdat.support.receipts import receipt_url

pytestmark = pytest.mark.django_db


def test_deleting_my_data_ends_the_emailed_receipt_links(
        client, django_capture_on_commit_callbacks):
    checkout = client.post("/support/", {
        "frequency": "once", "currency": "USD", "amount": "25",
        "email": "reader@example.org", "method": "demo", "website": ""})["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        thanks = client.post(checkout, {"action": "pay"})["Location"]
    entry = LedgerEntry.objects.get(kind="payment")
    link = receipt_url(entry, "en").split("://", 1)[1].split("/", 1)[1]
    reference = entry.contribution.reference
    shown = client.get(f"/{link}").content.decode()
    assert "$25.00" in shown and reference in shown

    client.post(f"{thanks}manage/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/support/manage/delete/", {"confirm": "on"})
    assert response["Location"] == "/support/manage/deleted/"

    gone = client.get(f"/{link}")
    assert gone.status_code == 404
    assert "$25.00" not in gone.content.decode() and reference not in gone.content.decode()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()  # the books keep the money
