"""The page cache's tokens: the site's generation and one per path.

Kept apart from the middleware (pagecache.py) so the per-process loader can
read the generation without importing the middleware, which routes through
the loader.

With Redis as the page cache, each process also remembers the tokens it read
(`TokenMemo`), so a page cache hit needs no round trip at all. Every change of a
token is announced on a Redis channel, and a thread in each process listens and
forgets what it remembered on every announcement: publishing forgets a page in
every process, as when every request read the tokens. The memory is used only
while that thread is subscribed (after a lost connection it reads Redis again
until it has resubscribed), and a remembered token is read afresh after
SAMIZDAT_PAGE_CACHE_TOKEN_SECONDS (30) in any case, should an announcement be
lost some other way (a FLUSHDB, a token evicted).

An announcement is acknowledged: each listener, once it has forgotten, pushes
to a list named in the message, and the change waits (at most
SAMIZDAT_PAGE_CACHE_ACK_SECONDS, 2) until as many listeners as Redis delivered
it to have answered. So when a publish, an unpublish or a page made private
returns, no process still answers from the old tokens, however late a busy
machine schedules its listener thread; only requests already under way finish
with what they read. The wait is usually a millisecond or two.
"""

import hashlib
import logging
import os
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

GENERATION_KEY = "samizdat:pagecache:generation"
PATH_KEY_PREFIX = "samizdat:pagecache:path:"


def page_cache():
    alias = getattr(settings, "SAMIZDAT_PAGE_CACHE_ALIAS", "default")
    return caches[alias if alias in settings.CACHES else "default"]


def current_generation(cache=None):
    cache = cache or page_cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # Never fall back to a fixed value: entries stored under it before an
        # eviction of this key would come back to life.
        if cache.add(GENERATION_KEY, uuid.uuid4().hex, None):
            announce(cache)
        generation = cache.get(GENERATION_KEY)
    return generation


def new_generation():
    """Forget every cached page (called when site-wide content changes)."""
    cache = page_cache()
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    announce(cache)


def path_key(path):
    return f"{PATH_KEY_PREFIX}{hashlib.sha256(path.encode()).hexdigest()}"


def path_version(cache, path):
    """The token of one path: replaced to forget that path's pages (any host, any query)."""
    key = path_key(path)
    version = cache.get(key)
    if version is None:
        # As for the generation: never a fixed fallback, or an entry stored under
        # it before this key was evicted would come back.
        if cache.add(key, uuid.uuid4().hex, None):
            announce(cache)
        version = cache.get(key)
    return version


def forget_paths(paths):
    """Forget the cached pages of these paths only (affected.affected_urls names them)."""
    if paths:
        cache = page_cache()
        cache.set_many({path_key(path): uuid.uuid4().hex for path in paths}, None)
        announce(cache)


# --- tokens remembered per process, forgotten on every announced change ---------------
def _redis_client(cache):
    return cache._cache.get_client(None, write=True)


def channel(cache):
    """One channel per cache (key prefix and Redis database): channels span databases."""
    db = _redis_client(cache).connection_pool.connection_kwargs.get("db", 0)
    return f"{cache.make_key('samizdat:pagecache:changed')}:db{db}"


ACK_PREFIX = b"changed "


def announce(cache):
    """Tell every process that a token changed (after it changed), and wait until
    every process that heard it has forgotten its tokens."""
    memo.forget()  # this process at once, without waiting for its own announcement
    if not isinstance(cache, RedisCache):
        return
    try:
        client = _redis_client(cache)
        acks = f"{channel(cache)}:ack:{uuid.uuid4().hex}"
        listeners = client.publish(channel(cache), ACK_PREFIX + acks.encode())
        if listeners:
            _wait_for_acks(client, acks, listeners)
    except Exception as exc:  # noqa: BLE001 - fail soft as the cache does (samizdat/cache.py)
        logger.warning("Page cache change not announced (%s): processes forget tokens "
                       "within SAMIZDAT_PAGE_CACHE_TOKEN_SECONDS.", type(exc).__name__)


def _wait_for_acks(client, acks, listeners):
    deadline = time.monotonic() + getattr(settings, "SAMIZDAT_PAGE_CACHE_ACK_SECONDS", 2)
    try:
        for answered in range(listeners):
            left = deadline - time.monotonic()
            if left <= 0 or client.blpop([acks], timeout=left) is None:
                logger.warning("Page cache change: %d of %d processes answered in time; "
                               "the others forget it when they hear it.", answered, listeners)
                return
    finally:
        client.delete(acks)


def _acknowledge(client, data):
    """Tell the announcer this process has forgotten (messages from before
    acknowledgements were added carry no list name)."""
    if isinstance(data, bytes) and data.startswith(ACK_PREFIX):
        acks = data[len(ACK_PREFIX):].decode()
        with client.pipeline(transaction=False) as pipe:
            pipe.rpush(acks, os.getpid()).expire(acks, 60).execute()


class TokenMemo:
    """The tokens this process read, kept while its listener is subscribed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}  # key -> (value, read again after this monotonic time)
        self.epoch = 0  # changes on every forget: a read begun before it is not kept
        self.live = False
        self.pid = None
        self.stopped = threading.Event()  # tests end their listeners

    def forget(self, live=None):
        with self.lock:
            self.values.clear()
            self.epoch += 1
            if live is not None:
                self.live = live

    def get_many(self, cache, keys):
        """As cache.get_many(keys), from memory when every key is remembered."""
        seconds = getattr(settings, "SAMIZDAT_PAGE_CACHE_TOKEN_SECONDS", 30)
        if not isinstance(cache, RedisCache) or not seconds:
            return cache.get_many(keys)
        if self.pid != os.getpid():
            self._start()
        if self.live:
            now = time.monotonic()
            found = {}
            for key in keys:
                entry = self.values.get(key)
                if entry is None or entry[1] < now:
                    break
                found[key] = entry[0]
            else:
                return found
        epoch = self.epoch
        found = cache.get_many(keys)
        if len(found) == len(keys):
            until = time.monotonic() + seconds
            with self.lock:
                if self.live and self.epoch == epoch:
                    self.values.update((key, (value, until)) for key, value in found.items())
        return found

    def _start(self):
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()  # a forked child starts its own listener
            self.values.clear()
            self.epoch += 1
            self.live = False
        threading.Thread(target=self._listen, name="samizdat-page-tokens", daemon=True).start()

    def _listen(self):
        pid = self.pid
        while pid == os.getpid() and not self.stopped.is_set():
            pubsub = None
            try:
                cache = page_cache()
                if not isinstance(cache, RedisCache):
                    return
                pubsub = _redis_client(cache).pubsub()
                pubsub.subscribe(channel(cache))
                while not self.stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    # Subscribed (anything sent before is unknown: start afresh), or a change.
                    self.forget(live=True)
                    if message.get("type") == "message":
                        _acknowledge(_redis_client(cache), message.get("data"))
            except Exception as exc:  # noqa: BLE001 - Redis away: read it on every request
                if self.live:
                    logger.warning("Page cache announcements lost (%s): reading tokens "
                                   "from Redis until resubscribed.", type(exc).__name__)
                self.forget(live=False)
                time.sleep(1.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001, S110 - closing a broken connection
                        pass


memo = TokenMemo()


def _forget_on_setting_changed(**kwargs):
    memo.forget()  # tests switch caches and settings under a running process


setting_changed.connect(_forget_on_setting_changed, dispatch_uid="samizdat.cachetokens.memo")
