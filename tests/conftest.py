"""Shared fixtures: fast, isolated settings, the migrated database and the demo site."""

import json
import os
import shutil
import time

import pytest


def free_port():
    """A loopback port nobody listens on now, so suites can run side by side."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


ISOLATED_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "CACHES": {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    },
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "ALLOWED_HOSTS": ["*"],
}


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, value in ISOLATED_SETTINGS.items():
        setattr(settings, name, value)
    from django.core.cache import cache

    cache.clear()


# --- Every test starts from the migrated database -------------------------------------
#
# A transactional test (live server, browser, row locks) ends with a flush that empties
# every table, the rows the migrations made included (Wagtail's root page and collection,
# locales, the default Site); unless the test asked for serialized_rollback, the flush then
# re-sends post_migrate, which recreates content types, permissions and the Fundraising
# group only. pytest-django runs transactional tests after the others, but under
# pytest-xdist a worker runs whole files, one after another, and a transactional test may
# follow another anyway. So before the next test the migrated rows come back, from a
# snapshot taken when the test database was created (or Django's own, identical one).

_MIGRATED = {}  # alias -> the migrated database's rows (Django's test serialization)
_db_state = {"now": "migrated"}  # or "empty" (flushed), "post_migrate" (flushed, re-sent)


def _db_use(item):
    """(uses the database, transactional, serialized rollback), decided as pytest-django
    decides them (pytest_django.fixtures._django_db_helper)."""
    from pytest_django.fixtures import validate_django_db

    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    transactional = serialized = False
    if marker is not None:
        transactional, reset_sequences, _dbs, serialized, _apps = validate_django_db(marker)
        transactional = transactional or reset_sequences
    transactional = transactional or "transactional_db" in fixtures or "live_server" in fixtures
    serialized = serialized or "django_db_serialized_rollback" in fixtures
    uses_db = marker is not None or transactional or "db" in fixtures
    return uses_db, transactional, serialized and transactional


def _blocker(config):
    from pytest_django.plugin import blocking_manager_key

    return config.stash[blocking_manager_key]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, plus a snapshot of its migrated rows."""
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    with django_db_blocker.unblock():
        rows = json.loads(getattr(connection, "_test_serialized_contents", None)
                          or connection.creation.serialize_db_to_string())
    # Content types first: loading some rows asks for a content type (Wagtail's Task
    # models do, in __init__), which would otherwise create it under another id.
    rows.sort(key=lambda row: row["model"] != "contenttypes.contenttype")
    _MIGRATED[DEFAULT_DB_ALIAS] = json.dumps(rows)
    if hasattr(connection, "_test_serialized_contents"):  # serialized_rollback's copy
        connection._test_serialized_contents = _MIGRATED[DEFAULT_DB_ALIAS]
    yield
    _DEMO.close(django_db_blocker)  # before the database goes
    _MIGRATED.clear()


def _restore_migrated_rows(config, serialized_next):
    """Bring back the migrated rows a flush removed (see above)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections

    if _db_state["now"] == "migrated" or not _MIGRATED:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    with _blocker(config).unblock():
        if _db_state["now"] == "post_migrate":
            call_command("flush", verbosity=0, interactive=False, database=DEFAULT_DB_ALIAS,
                         reset_sequences=False, inhibit_post_migrate=True)
            _db_state["now"] = "empty"
        # post_migrate cached the content types it recreated, under other ids.
        ContentType.objects.clear_cache()
        if serialized_next and hasattr(connection, "_test_serialized_contents"):
            return  # Django loads the same rows at the start of such a test
        connection.creation.deserialize_db_from_string(_MIGRATED[DEFAULT_DB_ALIAS])
        _db_state["now"] = "migrated"


# --- The demo newsroom, built once and shared through a transaction ------------------
#
# build_demo_site() takes seconds (40 articles, their pictures, pages and revisions) and
# many tests start from it. It is built once inside a transaction that stays open while
# consecutive tests use it: each such test runs in a savepoint inside that transaction
# (pytest-django's `db`), rolled back after it, so every one of them starts from the same
# demo rows and none sees another's changes. Before any other test the transaction is
# rolled back; the next demo test builds it again. Tests are ordered so that demo tests
# run together (pytest_collection_modifyitems below).


class DemoSnapshot:
    """The shared demo: open (built, its transaction open) or closed."""

    max_age = 600  # seconds: articles are dated relative to the time of the build

    def __init__(self):
        self.atomic = None
        self.builds = 0

    @property
    def is_open(self):
        return self.atomic is not None

    def open(self, blocker):
        import tempfile
        from pathlib import Path

        from django.core.cache import cache
        from django.db import transaction
        from django.test.utils import override_settings
        from wagtail.models import Page

        from samizdat.news.demo import build_demo_site

        self.builds += 1
        self.media = Path(tempfile.mkdtemp(prefix="samizdat-demo-")) / "media"
        overrides = override_settings(**ISOLATED_SETTINGS, MEDIA_ROOT=self.media)
        with blocker.unblock():
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            try:
                with overrides:
                    cache.clear()
                    homes = build_demo_site()
            except BaseException:
                self.close(blocker)
                raise
        self.homes = {code: (page.specific_class, page.pk) for code, page in homes.items()}
        self.built_at = time.monotonic()
        assert all(issubclass(cls, Page) for cls, _pk in self.homes.values())

    def close(self, blocker):
        from django.db import transaction

        if self.atomic is None:
            return
        atomic, self.atomic = self.atomic, None
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        shutil.rmtree(self.media.parent, ignore_errors=True)

    def stale(self):
        return time.monotonic() - self.built_at > self.max_age

    def restore(self, media_root):
        """The demo as a test sees it: its image files in the test's MEDIA_ROOT, its homes
        read afresh (instances are not shared between tests)."""
        shutil.copytree(self.media, media_root, dirs_exist_ok=True)
        return {code: cls.objects.get(pk=pk) for code, (cls, pk) in self.homes.items()}


_DEMO = DemoSnapshot()


def _wants_shared_demo(item, uses_db, transactional):
    fixtures = getattr(item, "fixturenames", ())
    # demo_export (tests/mirrors) builds its own demo under its own MEDIA_ROOT.
    return ("demo_site" in fixtures and uses_db and not transactional
            and "demo_export" not in fixtures)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the test's fixtures: the migrated rows back if a flush removed them, and the
    shared demo opened or closed for it (see above)."""
    uses_db, transactional, serialized = _db_use(item)
    wants_demo = _wants_shared_demo(item, uses_db, transactional)
    blocker = _blocker(item.config) if _MIGRATED else None
    if _DEMO.is_open and (not wants_demo or _DEMO.stale()):
        _DEMO.close(blocker)
    _restore_migrated_rows(item.config, serialized)
    if transactional:
        # Its flush at teardown leaves the database empty, or with post_migrate's rows.
        _db_state["now"] = "empty" if serialized else "post_migrate"
    if wants_demo and not _DEMO.is_open and _MIGRATED:
        # (The first demo test of a session, before the test database exists, builds its
        # own demo: the `demo_site` fixture falls back to build_demo_site().)
        _DEMO.open(blocker)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the tests that share the demo one after another. pytest-django has ordered the
    tests as Django does (database tests, then transactional ones, then the rest); within
    the first group the demo tests go last. The sort is stable: otherwise the order stays."""

    def key(item):
        uses_db, transactional, _serialized = _db_use(item)
        group = 1 if transactional else 0 if uses_db else 2
        return group, _wants_shared_demo(item, uses_db, transactional)

    items.sort(key=key)


@pytest.fixture
def demo_site(db, settings):
    """The bilingual demo newsroom, as `make demo` builds it: the shared one (above) in a
    test that runs inside a transaction, built for the test in a transactional one (a live
    server's threads must see it committed)."""
    if _DEMO.is_open:
        return _DEMO.restore(settings.MEDIA_ROOT)
    from samizdat.news.demo import build_demo_site

    return build_demo_site()


@pytest.fixture
def wagtail_root(db):
    """Wagtail's root page. It is there in every test, with the other rows the migrations
    create (root collection, locales, default Site), even after a transactional test's
    flush: pytest_runtest_setup above puts them back."""
    from wagtail.models import Page

    root = Page.get_first_root_node()
    assert root is not None
    return root


@pytest.fixture(scope="session")
def chromium_path():
    """Debian's Chromium, or a skip (a failure when CI requires the browser)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("SAMIZDAT_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(chromium_path):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Playwright's sync API leaves its event loop "running" in this thread until it stops,
    # so from here on asgiref keeps Django's (thread-critical) connections in another
    # storage, and every later test would get new connection objects, without what the
    # test database set-up stored on the old ones (the rows serialized_rollback restores)
    # and outside any transaction a fixture holds open. Keep the same objects.
    existing = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in existing.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
