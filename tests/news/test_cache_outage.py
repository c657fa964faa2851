"""With Redis down the site serves uncached, never a 500 (issue: reliability, item 6).

A real Redis on a free loopback port, stopped and started again by the test:
pages, a contribution start and a provider's webhook all work while it is down
(the webhook recorded once and answered 200), and the cache is used again once
Redis is back.
"""

import subprocess
import time

import pytest
from django.core.cache import caches

from samizdat.support.models import Contribution, LedgerEntry
from samizdat.support.providers.base import get_provider
from tests.conftest import free_port

ARTICLE = "/news/river-port-strike-enters-third-week/"


class PrivateRedis:
    def __init__(self):
        self.port, self.proc = free_port(), None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ends = time.monotonic() + 60  # a deadline, not a count: a loaded machine is slow
        while time.monotonic() < ends:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                              capture_output=True, text=True).stdout.strip() == "PONG":
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def keys(self):
        out = subprocess.run(["redis-cli", "-p", str(self.port), "dbsize"],
                             capture_output=True, text=True).stdout
        return int(out.strip() or 0)


@pytest.fixture
def redis_cache(settings):
    from samizdat.cache import FailSoftRedisCache

    server = PrivateRedis()
    server.start()
    location = f"redis://127.0.0.1:{server.port}/0"
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    settings.CACHES = {
        "default": {"BACKEND": "samizdat.cache.FailSoftRedisCache", "LOCATION": location,
                    "KEY_PREFIX": "t", "OPTIONS": options},
        "pages": {"BACKEND": "samizdat.cache.FailSoftRedisCache", "LOCATION": location,
                  "KEY_PREFIX": "tp", "OPTIONS": options},
    }
    settings.SAMIZDAT_PAGE_CACHE = True
    FailSoftRedisCache._down_until = 0.0
    yield server
    if server.proc.poll() is None:
        server.stop()
    FailSoftRedisCache._down_until = 0.0


@pytest.mark.django_db
def test_the_site_works_without_redis_and_uses_it_again_when_it_returns(
        client, demo_site, redis_cache, settings, django_capture_on_commit_callbacks):
    from samizdat.cache import FailSoftRedisCache

    assert client.get(ARTICLE).status_code == 200
    assert redis_cache.keys() > 0  # the page went into the cache

    redis_cache.stop()
    for url in ("/", ARTICLE, "/ru/", "/support/", "/funding.json"):
        assert client.get(url).status_code == 200, url
    start = client.post("/support/", {"frequency": "once", "currency": "USD", "amount": "25",
                                      "email": "", "method": "demo", "website": ""})
    assert start.status_code == 302  # the checkout throttle counts nothing, lets it through
    gift = Contribution.objects.get()
    with django_capture_on_commit_callbacks(execute=True):  # the funding-cache clear too
        assert get_provider("demo").complete(gift) == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert get_provider("demo").complete(gift) == 200  # a redelivery: still once
    assert LedgerEntry.objects.filter(kind="payment").count() == 1

    redis_cache.start()
    FailSoftRedisCache._down_until = 0.0  # as after the short skip window
    caches["default"].set("back", "yes")
    assert caches["default"].get("back") == "yes"
    assert client.get(ARTICLE).status_code == 200
    assert redis_cache.keys() > 1


def test_a_down_redis_costs_one_timeout_then_is_skipped(redis_cache):
    """Readers do not each wait for a connect timeout while Redis is down."""
    redis_cache.stop()
    cache = caches["default"]
    began = time.monotonic()
    assert cache.get("anything", "fallback") == "fallback"
    assert [cache.get(f"k{n}") for n in range(50)] == [None] * 50
    assert cache.add("lock", 1) is True and cache.incr("counter") == 1
    assert time.monotonic() - began < 2.0  # one failed connect, then no more waiting
