"""Events waiting for their plan are applied even when something after the commit fails,
and by the periodic job when a delivery stopped before its own sweep."""

import logging

import pytest
from django.core.management import call_command

from samizdat.support.models import LedgerEntry, Pledge, ProviderEvent
from tests.conftest import free_port

from .test_webhooks import _deliver

pytestmark = pytest.mark.django_db


def _renewal_then_creation(demo, pledge):
    created = demo.build_event("checkout.completed", {
        "reference": pledge.reference, "amount_minor": 500, "currency": "USD",
        "frequency": "monthly", "subscription_id": "demo_sub_x", "invoice_id": "in_1",
    })
    renewal = demo.build_event("renewal.paid", {
        "subscription_id": "demo_sub_x", "invoice_id": "in_2", "amount_minor": 500,
        "currency": "USD",
    }, created=created["created"] + 30 * 86400)
    return renewal, created


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_fundraising_group_hook")
def test_cache_down_after_commit_still_answers_ok_and_applies_waiting_events(
        client, demo, make_pledge, settings, caplog):
    """Committed for real, so the after-commit steps run inside the delivery."""
    pledge = make_pledge()
    renewal, created = _renewal_then_creation(demo, pledge)
    assert _deliver(client, demo, renewal).status_code == 200
    assert ProviderEvent.objects.get().outcome == "waiting"
    # Redis is down: clearing the funding figures after the commit raises.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    with caplog.at_level(logging.ERROR, logger="samizdat.support.ledger"):
        response = _deliver(client, demo, created)
    assert response.status_code == 200
    pledge.refresh_from_db()
    assert pledge.status == "active"
    assert LedgerEntry.objects.filter(pledge=pledge).count() == 2
    assert set(ProviderEvent.objects.values_list("outcome", flat=True)) == {"applied"}
    assert "forget_funding_figures failed" in caplog.text


def test_periodic_job_applies_events_a_delivery_left_waiting(demo, client, make_pledge,
                                                            settings):
    pledge = make_pledge()
    renewal, _created = _renewal_then_creation(demo, pledge)
    _deliver(client, demo, renewal)
    # The plan was linked by a delivery that stopped before its sweep.
    Pledge.objects.filter(pk=pledge.pk).update(subscription_ref="demo_sub_x")
    assert ProviderEvent.objects.get().outcome == "waiting"
    call_command("apply_waiting_events")
    event = ProviderEvent.objects.get()
    assert event.outcome == "applied" and event.pledge_id == pledge.pk
    assert LedgerEntry.objects.filter(pledge=pledge, provider_ref="in_2").exists()
    assert ("apply_waiting_events", 300) in settings.SAMIZDAT_PERIODIC_JOBS


def test_redelivery_of_an_applied_event_sweeps_what_waits(demo, client, make_pledge):
    pledge = make_pledge()
    renewal, created = _renewal_then_creation(demo, pledge)
    _deliver(client, demo, created)
    second = demo.build_event("renewal.paid", {
        "subscription_id": "demo_sub_y", "invoice_id": "in_3", "amount_minor": 500,
        "currency": "USD"})
    _deliver(client, demo, second)
    assert ProviderEvent.objects.get(event_id=second["id"]).outcome == "waiting"
    Pledge.objects.filter(pk=pledge.pk).update(subscription_ref="demo_sub_y")
    response = _deliver(client, demo, created)
    assert response.content == b"duplicate"
    assert ProviderEvent.objects.get(event_id=second["id"]).outcome == "applied"
