"""A paused plan says since when it is paused, not since when it started."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import formats

from samizdat.support import selfservice
from samizdat.support.models import Pledge

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 3, 2, 10, tzinfo=UTC)
PAUSED = datetime(2026, 5, 20, 10, tzinfo=UTC)


def _status_line(client):
    html = client.get("/support/manage/account/").content.decode()
    start = html.index("Status")
    return html[start:html.index("</p>", start)]


def _signed_in(client, pledge):
    """Signed in again weeks later (as an e-mailed link would do)."""
    client.cookies.pop("sessionid", None)  # the hour after paying is long over
    session = client.session
    session[selfservice.SESSION_KEY] = {"index": pledge.supporter.email_index,
                                        "until": PAUSED.timestamp() + 7200}
    session.save()


def test_a_paused_plan_says_paused_since_the_pause(client,
                                                   django_capture_on_commit_callbacks):
    with time_machine.travel(STARTED, tick=False):
        checkout = client.post("/support/", {
            "frequency": "monthly", "currency": "USD", "amount": "5",
            "email": "reader@example.org", "method": "demo", "website": ""})["Location"]
        thanks = client.post(checkout, {"action": "pay"})["Location"]
        client.post(f"{thanks}manage/")
    pledge = Pledge.objects.get()
    with time_machine.travel(PAUSED, tick=False):
        _signed_in(client, pledge)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/support/manage/pledges/{pledge.pk}/", {"action": "pause"})
        pledge.refresh_from_db()
        assert pledge.status == "paused" and pledge.paused_at == PAUSED
        line = _status_line(client)
    assert "Paused" in line
    assert formats.date_format(PAUSED, "DATE_FORMAT") in line
    assert formats.date_format(STARTED, "DATE_FORMAT") not in line

    with time_machine.travel(PAUSED.replace(minute=30), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/support/manage/pledges/{pledge.pk}/", {"action": "resume"})
    pledge.refresh_from_db()
    assert pledge.status == "active" and pledge.paused_at is None
