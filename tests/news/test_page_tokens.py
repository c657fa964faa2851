"""Page cache tokens remembered per process (news/cachetokens.py TokenMemo), with a real
Redis: a change of a token, announced on Redis, makes every process read it afresh, so
publishing forgets a page everywhere. Two TokenMemo objects stand for two processes."""

import socket
import time
import uuid

import pytest

from samizdat.news import cachetokens
from samizdat.news.cachetokens import GENERATION_KEY, TokenMemo, path_key

REDIS = "redis://127.0.0.1:6379/11"


def redis_up():
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


pytestmark = pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379")


def wait_until(predicate, what):
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.fixture
def redis_pages(settings):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "samizdat.cache.FailSoftRedisCache", "LOCATION": REDIS,
                  "KEY_PREFIX": f"test-tokens-{uuid.uuid4().hex}"},
    }
    settings.SAMIZDAT_PAGE_CACHE_ALIAS = "pages"
    cache = cachetokens.page_cache()
    memos = []

    def process():
        memo = TokenMemo()
        memos.append(memo)
        return memo

    yield cache, process
    for memo in memos:
        memo.stopped.set()
    cache.delete_many([GENERATION_KEY, path_key("/news/")])


def remembered(memo, cache, keys):
    memo.get_many(cache, keys)
    wait_until(lambda: memo.live, "the listener subscribed")
    memo.get_many(cache, keys)  # read while subscribed: kept
    return all(key in memo.values for key in keys)


@pytest.mark.parametrize("change", ["publish", "site-wide"])
def test_a_changed_token_is_read_afresh_in_every_process(redis_pages, change):
    cache, process = redis_pages
    keys = [GENERATION_KEY, path_key("/news/")]
    cachetokens.current_generation(cache)
    cachetokens.path_version(cache, "/news/")
    first, second = process(), process()
    assert remembered(first, cache, keys) and remembered(second, cache, keys)
    before = second.get_many(cache, keys)
    if change == "publish":
        cachetokens.forget_paths(["/news/"])
    else:
        cachetokens.new_generation()
    for memo in (first, second):
        wait_until(lambda memo=memo: not memo.values, "the announcement arrived")
        after = memo.get_many(cache, keys)
        assert after == cache.get_many(keys) != before


def test_nothing_is_remembered_without_a_listener(redis_pages):
    cache, process = redis_pages
    memo = process()
    keys = [GENERATION_KEY]
    cachetokens.current_generation(cache)
    memo.get_many(cache, keys)
    wait_until(lambda: memo.live, "the listener subscribed")
    memo.stopped.set()
    memo.forget(live=False)  # as when its connection to Redis is lost
    memo.get_many(cache, keys)
    assert not memo.values


class SlowProcess(TokenMemo):
    """A process whose listener thread is scheduled late (a busy machine): it forgets
    its tokens only a moment after the announcement reaches it."""

    def forget(self, live=None):
        if live:  # from the listener thread, on a message
            time.sleep(0.3)
        super().forget(live)


def test_a_change_returns_only_once_every_listening_process_has_forgotten(redis_pages,
                                                                        settings):
    cache, process = redis_pages
    settings.SAMIZDAT_PAGE_CACHE_ACK_SECONDS = 30  # room for a loaded machine
    keys = [GENERATION_KEY, path_key("/news/")]
    cachetokens.current_generation(cache)
    cachetokens.path_version(cache, "/news/")
    slow = SlowProcess()
    process_memos = [slow, process()]
    for memo in process_memos:
        assert remembered(memo, cache, keys)
    try:
        cachetokens.forget_paths(["/news/"])
        # No waiting here: the change itself waited for both processes.
        assert not slow.values and not process_memos[1].values
        assert slow.get_many(cache, keys) == cache.get_many(keys)
    finally:
        slow.stopped.set()


def test_a_process_that_never_answers_delays_a_change_only_briefly(redis_pages, settings,
                                                                   caplog):
    cache, _process = redis_pages
    settings.SAMIZDAT_PAGE_CACHE_ACK_SECONDS = 0.3
    before = cachetokens.path_version(cache, "/news/")
    silent = cachetokens._redis_client(cache).pubsub()
    silent.subscribe(cachetokens.channel(cache))  # hears announcements, never answers
    try:
        wait_until(lambda: silent.get_message(timeout=0.1) is not None, "subscribed")
        cachetokens.forget_paths(["/news/"])
    finally:
        silent.close()
    assert cachetokens.path_version(cache, "/news/") != before
    assert "0 of 1 processes answered in time" in caplog.text
