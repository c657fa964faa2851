"""Redis as a cache that fails soft: when Redis is down, the site runs without a cache.

Django's RedisCache raises on a refused connection, so with Redis stopped for
ten seconds every request that touched the page cache, the onion middleware,
the checkout throttle or an after-commit cache clear answered 500 — webhooks
included, after their money was already applied. Here every operation that
fails for a connection reason answers as a miss (get → default, set → nothing,
add → stored, incr → first count), logs once per outage, and skips Redis for a
few seconds so readers do not each wait for a connect timeout.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER_SECONDS = 5.0  # after a failure, how long calls skip Redis altogether


class RedisDown(Exception):
    pass


class FailSoftRedisCache(RedisCache):
    _down_until = 0.0  # per process, shared by every alias on this class

    def _call(self, name, fallback, *args, **kwargs):
        if time.monotonic() < FailSoftRedisCache._down_until:
            return fallback
        try:
            return getattr(super(), name)(*args, **kwargs)
        except OUTAGE as exc:
            if not FailSoftRedisCache._down_until:
                logger.warning("Redis unreachable (%s): serving without a cache.",
                               type(exc).__name__)
            FailSoftRedisCache._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            return fallback

    def _recovered(self):
        if FailSoftRedisCache._down_until and time.monotonic() >= self._down_until:
            FailSoftRedisCache._down_until = 0.0
            logger.warning("Redis reachable again: the cache is back.")

    def get(self, key, default=None, version=None):
        value = self._call("get", RedisDown, key, default, version)
        if value is RedisDown:
            return default
        self._recovered()
        return value

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def set(self, key, value, timeout=None, version=None):  # noqa: A003
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._call("set_many", [], data, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._call("add", True, key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._call("touch", False, key, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", delta, key, delta, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", None)
