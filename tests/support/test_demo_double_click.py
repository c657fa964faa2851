"""Pressing "Pay" twice on the demo checkout pays once, as at a real provider.

Before, the "still pending" check ran without a lock and every click minted a
new payment id: 20 of 20 double-clicked gifts were recorded twice.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from samizdat.support.models import Contribution, LedgerEntry, Pledge


def _checkout(client, **data):
    base = {"frequency": "once", "currency": "USD", "amount": "25", "email": "",
            "method": "demo", "website": ""}
    response = client.post("/support/", {**base, **data})
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("frequency", ["once", "monthly"])
def test_a_double_click_on_pay_records_one_payment(client, frequency):
    checkout = _checkout(client, frequency=frequency, email="r@example.org")
    subject = (Contribution if frequency == "once" else Pledge).objects.get()
    # The second click left the browser before the first answer came back: it still
    # carries the form of a pending checkout.
    subject.__class__.objects.filter(pk=subject.pk).update(status="pending")
    for _ in range(2):
        client.post(checkout, {"action": "pay"})
        subject.__class__.objects.filter(pk=subject.pk).update(status="pending")
    assert LedgerEntry.objects.filter(kind="payment").count() == 1


@pytest.mark.django_db
def test_a_click_in_a_tab_opened_before_a_retried_start_pays_the_same_payment(client):
    """The reader retried the start (the same form, so the same gift, but a new checkout
    session) and then pressed "Pay" in both the old and the new tab."""
    from samizdat.support.providers.base import get_provider

    checkout = _checkout(client, email="r@example.org")
    gift = Contribution.objects.get()
    demo = get_provider("demo")
    old_tab = Contribution.objects.get(pk=gift.pk)
    Contribution.objects.filter(pk=gift.pk).update(checkout_ref="demo_cs_retried")
    client.post(checkout, {"action": "pay"})
    demo.complete(old_tab)  # the old tab's click, read before the retry
    payments = LedgerEntry.objects.filter(kind="payment")
    assert payments.count() == 1
    gift.refresh_from_db()
    assert gift.status == "paid"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("no_fundraising_group_hook")
def test_clicks_at_the_same_moment_from_two_tabs_record_one_payment(live_server):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    client = Client()
    checkout = _checkout(client)
    start = threading.Barrier(4)
    answers = []

    def click():
        try:
            tab = Client()
            tab.cookies = client.cookies
            start.wait()
            answers.append(tab.post(checkout, {"action": "pay"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    answers.append(client.post(checkout, {"action": "pay"}))  # a tab clicked much later
    # A click that reads the checkout before the payment lands goes to the thanks page;
    # one that reads it after (the barrier lines the threads up, not their queries)
    # gets the checkout again, saying it is finished and pointing to the same page.
    thanks = f"/support/thanks/{Contribution.objects.get().reference}/"
    assert len(answers) == 5 and answers[-1].status_code == 200
    for answer in answers:
        if answer.status_code == 302:
            assert answer["Location"] == thanks
        else:
            assert answer.status_code == 200
            assert "already finished" in answer.text and f'href="{thanks}"' in answer.text
    assert any(answer.status_code == 302 for answer in answers)
    assert Contribution.objects.get().status == "paid"
    payments = LedgerEntry.objects.filter(kind="payment")
    assert payments.count() == 1 and payments.get().amount_minor == 2500
