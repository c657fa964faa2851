"""Webhook verification and idempotency, with events signed like the provider signs them."""

import json

import pytest
from django.core.management import CommandError, call_command

from samizdat.support.models import Contribution, LedgerEntry, Pledge, ProviderEvent

pytestmark = pytest.mark.django_db

URL = "/support/webhooks/demo/"


def _deliver(client, demo, event, signature=None):
    body, headers = demo.signed(event)
    header = signature if signature is not None else headers["Samizdat-Signature"]
    return client.post(URL, body, content_type="application/json",
                       HTTP_SAMIZDAT_SIGNATURE=header)


def _paid_event(demo, contribution, payment_id="demo_pay_1"):
    return demo.build_event("checkout.completed", {
        "reference": contribution.reference, "amount_minor": contribution.amount_minor,
        "currency": contribution.currency, "frequency": "once", "payment_id": payment_id,
    })


def test_duplicate_webhook_is_applied_once(client, demo, make_contribution):
    contribution = make_contribution()
    event = _paid_event(demo, contribution)
    assert _deliver(client, demo, event).status_code == 200
    second = _deliver(client, demo, event)
    assert second.status_code == 200 and second.content == b"duplicate"
    assert LedgerEntry.objects.count() == 1 and ProviderEvent.objects.count() == 1
    contribution.refresh_from_db()
    assert contribution.status == "paid"


def test_bad_signature_is_refused_and_changes_nothing(client, demo, make_contribution):
    contribution = make_contribution()
    event = _paid_event(demo, contribution)
    body, headers = demo.signed(event)
    tampered = body.replace(b"2500", b"9999")
    response = client.post(URL, tampered, content_type="application/json",
                           HTTP_SAMIZDAT_SIGNATURE=headers["Samizdat-Signature"])
    assert response.status_code == 400
    assert _deliver(client, demo, event, signature="t=1,v1=00").status_code == 400
    assert client.post(URL, body, content_type="application/json").status_code == 400
    contribution.refresh_from_db()
    assert contribution.status == "pending"
    assert not ProviderEvent.objects.exists() and not LedgerEntry.objects.exists()


def test_malformed_json_with_a_valid_signature_is_refused(client, demo):
    from samizdat.support.providers import signing

    body = b"{not json"
    response = client.post(URL, body, content_type="application/json",
                           HTTP_SAMIZDAT_SIGNATURE=signing.sign(body, demo.secret))
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_unknown_event_type_is_acknowledged_and_ignored(client, demo, make_contribution):
    contribution = make_contribution()
    event = demo.build_event("customer.tax_id.created", {"reference": contribution.reference})
    response = _deliver(client, demo, event)
    assert response.status_code == 200 and response.content == b"ignored"
    assert not ProviderEvent.objects.exists()
    contribution.refresh_from_db()
    assert contribution.status == "pending"


def test_unknown_provider_and_get_are_refused(client):
    assert client.post("/support/webhooks/nope/", b"{}",
                       content_type="application/json").status_code == 404
    assert client.get(URL).status_code == 405


def test_refund_before_payment_ends_as_if_in_order(client, demo, make_contribution):
    contribution = make_contribution()
    paid = _paid_event(demo, contribution)
    refund = demo.build_event("payment.refunded", {
        "reference": contribution.reference, "payment_id": "demo_pay_1",
        "refund_id": "demo_re_1", "amount_minor": 2500, "currency": "USD",
    }, created=paid["created"] + 60)
    _deliver(client, demo, refund)
    _deliver(client, demo, paid)
    contribution.refresh_from_db()
    assert contribution.status == "refunded"
    assert sorted(LedgerEntry.objects.values_list("kind", "amount_minor")) == [
        ("payment", 2500), ("refund", -2500)]


def test_renewal_before_creation_waits_then_applies(client, demo, make_pledge):
    pledge = make_pledge()
    created = demo.build_event("checkout.completed", {
        "reference": pledge.reference, "amount_minor": 500, "currency": "USD",
        "frequency": "monthly", "subscription_id": "demo_sub_x", "invoice_id": "in_1",
    })
    renewal = demo.build_event("renewal.paid", {
        "subscription_id": "demo_sub_x", "invoice_id": "in_2", "amount_minor": 500,
        "currency": "USD",
    }, created=created["created"] + 30 * 86400)
    _deliver(client, demo, renewal)
    assert ProviderEvent.objects.get().outcome == "waiting"
    _deliver(client, demo, created)
    pledge.refresh_from_db()
    assert pledge.status == "active"
    assert LedgerEntry.objects.filter(pledge=pledge).count() == 2
    assert set(ProviderEvent.objects.values_list("outcome", flat=True)) == {"applied"}


def test_ledger_entries_refuse_update_and_delete(demo, make_contribution):
    from samizdat.support.actions.transfers import mark_transfer_received

    contribution = make_contribution(provider="bank_transfer")
    mark_transfer_received(contribution)
    entry = LedgerEntry.objects.get()
    entry.amount_minor = 1
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.update(amount_minor=1)
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get().amount_minor == 2500


def test_bank_transfer_marked_received_twice_is_paid_once(staff_client, admin_client,
                                                         make_contribution):
    contribution = make_contribution(provider="bank_transfer", amount_minor=5000, currency="EUR")
    url = f"/support/staff/transfer/{contribution.reference}/"
    assert admin_client.post(url).status_code == 302  # staff without a second factor
    assert "Mark as received" in staff_client.get(url).content.decode()
    staff_client.post(url)
    staff_client.post(url)
    contribution.refresh_from_db()
    assert contribution.status == "paid"
    assert list(LedgerEntry.objects.values_list("amount_minor", "currency")) == [(5000, "EUR")]


def test_bank_transfer_page_shows_details_and_reference(client, make_contribution):
    from samizdat.support.checkout import contribution_settings

    options = contribution_settings()
    options.bank_iban = "DE89 3704 0044 0532 0130 00"
    options.save()
    contribution = make_contribution(provider="bank_transfer")
    html = client.get(f"/support/bank-transfer/{contribution.reference}/").content.decode()
    assert contribution.reference in html and "DE89 3704" in html


def test_check_ledger_reports_a_tampered_status(capsys, demo, make_contribution):
    contribution = make_contribution()
    demo.complete(contribution)
    call_command("check_ledger")
    assert "Ledger consistent" in capsys.readouterr().out
    Contribution.objects.filter(pk=contribution.pk).update(status="refunded")
    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("check_ledger")
    assert f"MISMATCH Contribution {contribution.reference}: status stored=refunded " \
           "ledger=paid" in capsys.readouterr().out


def test_conversions_by_appeal_counts_paid_gifts_and_plans(demo, make_contribution, make_pledge):
    from samizdat.support.reports import conversions_by_appeal

    paid = make_contribution(appeal="spring", variant="a")
    demo.complete(paid)
    make_contribution(appeal="spring", variant="a")  # never paid
    pledge = make_pledge(appeal="spring", variant="a")
    demo.complete(pledge)
    demo.simulate_renewal(Pledge.objects.get(pk=pledge.pk))
    assert conversions_by_appeal() == [
        {"appeal": "spring", "variant": "a", "conversions": 2, "revenue_minor": 3500,
         "currency": "USD"},
    ]


def test_stored_payload_is_the_verified_body(client, demo, make_contribution):
    contribution = make_contribution()
    event = _paid_event(demo, contribution)
    _deliver(client, demo, event)
    assert ProviderEvent.objects.get().payload == json.loads(json.dumps(event))
