"""Card-testing defence: per-client, per-e-mail and global limits on checkout starts."""

import pytest
from django.core.cache import cache

from samizdat.support.checkout import contribution_settings
from samizdat.support.models import Contribution, Pledge

pytestmark = pytest.mark.django_db

TOR_EXIT = "185.220.101.4"


def _start(client, ip, email="", **data):
    base = {"frequency": "once", "currency": "USD", "amount": "25", "email": email,
            "method": "demo", "website": ""}
    base.update(data)
    return client.post("/support/", base, REMOTE_ADDR=ip)


def _under_attack():
    options = contribution_settings()
    options.under_attack = True
    options.save()


def test_checkout_starts_per_client_are_limited(client, settings):
    settings.SAMIZDAT_CHECKOUT_LIMITS = {"client": (3, 600), "email": (5, 3600),
                                         "global": (100, 600)}
    for number in range(3):
        assert _start(client, "203.0.113.9", f"r{number}@example.org").status_code == 302
    refused = _start(client, "203.0.113.9", "r9@example.org")
    assert refused.status_code == 429
    assert "Nothing was charged" in refused.content.decode()
    assert Contribution.objects.count() == 3
    assert _start(client, "198.51.100.7", "other@example.org").status_code == 302


def test_checkout_starts_per_email_are_limited_across_addresses(client, settings):
    settings.SAMIZDAT_CHECKOUT_LIMITS = {"client": (50, 600), "email": (2, 3600),
                                         "global": (100, 600)}
    assert _start(client, "203.0.113.1", "card@example.org").status_code == 302
    assert _start(client, "203.0.113.2", "CARD@example.org").status_code == 302
    assert _start(client, "203.0.113.3", "card@example.org").status_code == 429
    assert Contribution.objects.count() == 2


def test_global_limit_caps_a_distributed_attack(client, settings):
    settings.SAMIZDAT_CHECKOUT_LIMITS = {"client": (50, 600), "email": (5, 3600),
                                         "global": (3, 600)}
    for number in range(3):
        assert _start(client, f"203.0.113.{number}").status_code == 302
    assert _start(client, "203.0.113.200").status_code == 429


def test_under_attack_switch_tightens_the_limits(client, settings):
    settings.SAMIZDAT_CHECKOUT_LIMITS = {"client": (10, 600), "email": (5, 3600),
                                         "global": (100, 600)}
    settings.SAMIZDAT_CHECKOUT_LIMITS_UNDER_ATTACK = {"client": (2, 600), "email": (1, 3600),
                                                      "global": (100, 600)}
    _under_attack()
    assert _start(client, "203.0.113.9").status_code == 302
    assert _start(client, "203.0.113.9").status_code == 302
    assert _start(client, "203.0.113.9").status_code == 429


def test_single_attempt_from_a_shared_tor_exit_is_allowed_even_under_attack(client):
    """With the shipped limits, several readers sharing one Tor exit each get through."""
    _under_attack()
    for number in range(5):
        assert _start(client, TOR_EXIT, f"reader{number}@example.org",
                      frequency="monthly", amount="5").status_code == 302
    response = _start(client, TOR_EXIT, "new-reader@example.org")
    assert response.status_code == 302
    assert Contribution.objects.count() == 1 and Pledge.objects.count() == 5


def test_single_attempt_from_a_shared_address_is_allowed_normally(client):
    for number in range(19):
        _start(client, TOR_EXIT, f"reader{number}@example.org")
    assert _start(client, TOR_EXIT, "one-more@example.org").status_code == 302


def test_client_address_is_kept_only_as_a_keyed_hash(client):
    _start(client, TOR_EXIT, "r@example.org")
    keys = list(cache._cache.keys())
    assert any("throttle:client" in key for key in keys)
    assert not any(TOR_EXIT in key for key in keys)
    assert not any("r@example.org" in key for key in keys)


def test_honeypot_hits_count_against_their_client(client, settings):
    settings.SAMIZDAT_CHECKOUT_LIMITS = {"client": (2, 600), "email": (5, 3600),
                                         "global": (100, 600)}
    for _ in range(2):
        assert _start(client, "203.0.113.66", website="spam").status_code == 400
    assert _start(client, "203.0.113.66").status_code == 429
    assert not Contribution.objects.exists()
