"""The demo provider can also deliver its signed events over HTTP, like a real provider."""

import pytest

from samizdat.support.models import Contribution, LedgerEntry, ProviderEvent

from .conftest import DEMO_PROVIDERS

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_fundraising_group_hook")]


def test_demo_event_posted_over_http_reaches_the_ledger(settings, site_server):
    demo_config = dict(DEMO_PROVIDERS["demo"])
    demo_config["OPTIONS"] = {**demo_config["OPTIONS"], "DELIVERY": "http"}
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {"demo": demo_config}
    settings.SITE_URL = site_server.url
    from samizdat.support.providers.base import get_provider

    contribution = Contribution.objects.create(provider="demo", amount_minor=1500,
                                               currency="GBP")
    assert get_provider("demo").complete(contribution) == 200
    contribution.refresh_from_db()
    assert contribution.status == "paid"
    assert list(LedgerEntry.objects.values_list("amount_minor", "currency")) == [(1500, "GBP")]
    assert ProviderEvent.objects.get().type == "checkout.completed"
