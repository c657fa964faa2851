"""The demo provider's events reach `webhooks.receive` itself, as a provider's request does:
no URL is resolved and no view is called in between."""

import sys
import types

import pytest

from samizdat.support.models import LedgerEntry, ProviderEvent

pytestmark = pytest.mark.django_db


def test_demo_events_need_no_webhook_route(settings, demo, make_contribution, monkeypatch):
    routes = types.ModuleType("urls_without_webhooks")
    routes.urlpatterns = []
    monkeypatch.setitem(sys.modules, routes.__name__, routes)
    settings.ROOT_URLCONF = routes.__name__
    gift = make_contribution()
    assert demo.complete(gift) == 200
    gift.refresh_from_db()
    assert gift.status == "paid"
    assert ProviderEvent.objects.get().facts["facts"][0]["kind"] == "payment"
    assert LedgerEntry.objects.get().amount_minor == 2500


def test_a_forged_demo_delivery_is_refused_on_the_same_path(demo, make_contribution):
    from samizdat.support.providers.base import Delivery, deliver_locally

    gift = make_contribution()
    body, _headers = demo.signed(demo.build_event("checkout.completed", {
        "reference": gift.reference, "amount_minor": 2500, "currency": "USD",
        "frequency": "once", "payment_id": "demo_pay_x"}))
    assert deliver_locally("demo", Delivery(body, {"Samizdat-Signature": "t=1,v1=00"})) == 400
    assert not ProviderEvent.objects.exists()
