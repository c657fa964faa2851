"""Shared fixtures: fast, isolated settings, the migrated database and the demo site."""

import json
import os
import shutil
import tempfile
import time

import pytest

from tests import rendition_cache


def free_port():
    """A loopback port nobody listens on now, so suites can run side by side."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_processes(procs):
    """Stop (process, log file) pairs a test started: SIGTERM, then SIGKILL after 20 s."""
    import signal
    import subprocess

    for proc, log in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()


ISOLATED_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "CACHES": {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    },
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "ALLOWED_HOSTS": ["*"],
}


def pytest_configure(config):
    rendition_cache.make_folder(config)


def pytest_unconfigure(config):
    rendition_cache.cleanup(config)


@pytest.fixture(scope="session", autouse=True)
def _rendition_cache():
    """Each rendition is drawn once per run (tests/rendition_cache.py says why)."""
    with pytest.MonkeyPatch.context() as patch:
        rendition_cache.install(patch)
        yield


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, value in ISOLATED_SETTINGS.items():
        setattr(settings, name, value)
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    # A request through the test client leaves its page's language active in this
    # process (LocaleMiddleware activates it and nothing resets it); every test starts
    # in the default language.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite: the test database in a file, not in memory. With an in-memory database
    the live server's threads and the test share one connection, and a browser's
    request arriving while the test writes makes either fail at random; with a file
    each thread has its own connection, as with PostgreSQL."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("sqlite3"):
        yield
        return
    # In memory-backed /dev/shm when there is one: as fast as an in-memory database.
    folder = tempfile.mkdtemp(prefix="samizdat-testdb-",
                              dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    db.setdefault("TEST", {})["NAME"] = os.path.join(folder, "test.sqlite3")
    # Readers (the live server) go on while the test writes; nothing is fsynced (the
    # file is thrown away).
    db.setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")
    yield
    shutil.rmtree(folder, ignore_errors=True)


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
    _MIGRATED[DEFAULT_DB_ALIAS] = json.dumps(_content_types_first(rows))
    if hasattr(connection, "_test_serialized_contents"):  # serialized_rollback's copy
        connection._test_serialized_contents = _MIGRATED[DEFAULT_DB_ALIAS]
    yield
    _SHARED_DEMO.close(django_db_blocker)  # before the database goes
    if _COMMITTED_DEMO.build is not None:
        _COMMITTED_DEMO.discard()
    _MIGRATED.clear()


def _content_types_first(rows):
    """Serialized rows with the content types first: loading some rows asks for a content
    type (Wagtail's Task models do, in __init__), which would otherwise create it under
    another id (and the content type's own row then clashes)."""
    return sorted(rows, key=lambda row: row["model"] != "contenttypes.contenttype")


def _database_rows():
    """Every row Django's serialize_db_to_string() takes, in Django's "python" format
    (datetimes keep their microseconds, which its JSON cuts to milliseconds)."""
    from django.apps import apps
    from django.conf import settings
    from django.core import serializers
    from django.db import DEFAULT_DB_ALIAS, connections, router
    from django.db.migrations.loader import MigrationLoader

    connection = connections[DEFAULT_DB_ALIAS]
    migrated = MigrationLoader(connection).migrated_apps
    objects = (
        obj
        for app_config in apps.get_app_configs()
        if app_config.models_module is not None and app_config.label in migrated
        and app_config.name not in settings.TEST_NON_SERIALIZED_APPS
        for model in app_config.get_models()
        if model._meta.can_migrate(connection)
        and router.allow_migrate_model(connection.alias, model)
        for obj in model._base_manager.using(connection.alias).order_by(
            model._meta.pk.name).iterator()
    )
    return _content_types_first(serializers.serialize("python", objects))


def _load_rows(rows):
    """Put _database_rows() back, as Django's deserialize_db_from_string() does."""
    from django.core import serializers
    from django.db import DEFAULT_DB_ALIAS, connections, transaction

    connection = connections[DEFAULT_DB_ALIAS]
    tables = set()
    with transaction.atomic(using=connection.alias):
        with connection.constraint_checks_disabled():
            for obj in serializers.deserialize("python", rows, using=connection.alias):
                obj.save()
                tables.add(obj.object._meta.db_table)
        connection.check_constraints(table_names=tables)


def _empty_database(blocker):
    """Flush what is left (as Django flushes after a serialized_rollback test)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS

    if _db_state["now"] != "empty":
        with blocker.unblock():
            call_command("flush", verbosity=0, interactive=False, database=DEFAULT_DB_ALIAS,
                         reset_sequences=False, inhibit_post_migrate=True)
        _db_state["now"] = "empty"
    # post_migrate cached the content types it recreated, under other ids.
    ContentType.objects.clear_cache()


def _restore_migrated_rows(blocker, serialized_next):
    """Bring back the migrated rows a flush removed (see above)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    if _db_state["now"] == "migrated" or not _MIGRATED:
        return
    _empty_database(blocker)
    connection = connections[DEFAULT_DB_ALIAS]
    if serialized_next and hasattr(connection, "_test_serialized_contents"):
        return  # Django loads the same rows at the start of such a test
    with blocker.unblock():
        connection.creation.deserialize_db_from_string(_MIGRATED[DEFAULT_DB_ALIAS])
    _db_state["now"] = "migrated"


# --- The demo newsroom, built once --------------------------------------------------
#
# build_demo_site() takes seconds (40 articles, their pictures, pages and revisions) and
# many tests start from it. Each of them must start from the same demo, so:
# - Tests that run inside a transaction (most) share one build, made inside a transaction
#   that stays open while consecutive demo tests run, each in a savepoint inside it
#   (pytest-django's `db`) rolled back after it. Before any other test that transaction is
#   rolled back; the next demo test builds the demo again. Demo tests are ordered to run
#   together (pytest_collection_modifyitems below).
# - Transactional tests (live server, browser), whose rows must be committed: after one
#   build the demo's rows are kept, serialized, and loaded into the emptied database before
#   each such test (a fraction of the time a build takes).
# Either way the pictures' files are copied to the test's MEDIA_ROOT and the homes are read
# afresh; a build older than ten minutes is made again (articles are dated relative to the
# time of the build).


class DemoBuild:
    """One build_demo_site() with the tests' settings, its files in a folder of its own."""

    max_age = 600  # seconds

    def __init__(self):
        from pathlib import Path

        from django.core.cache import cache
        from django.test.utils import override_settings

        from samizdat.news.demo import build_demo_site

        self.folder = Path(tempfile.mkdtemp(prefix="samizdat-demo-"))
        try:
            with override_settings(**ISOLATED_SETTINGS, MEDIA_ROOT=self.folder / "media"):
                cache.clear()
                homes = build_demo_site()
        except BaseException:
            self.discard()
            raise
        self.homes = {code: (type(page), page.pk) for code, page in homes.items()}
        self.made_at = time.monotonic()

    def stale(self):
        return time.monotonic() - self.made_at > self.max_age

    def for_test(self, media_root):
        """The demo as a test sees it: the pictures in its MEDIA_ROOT, the homes read afresh
        (instances are not shared between tests)."""
        if (self.folder / "media").is_dir():
            shutil.copytree(self.folder / "media", media_root, dirs_exist_ok=True)
        return {code: cls.objects.get(pk=pk) for code, (cls, pk) in self.homes.items()}

    def discard(self):
        shutil.rmtree(self.folder, ignore_errors=True)


class SharedDemo:
    """The demo for tests inside a transaction: built in a transaction kept open."""

    def __init__(self):
        self.atomic = self.build = None

    @property
    def is_open(self):
        return self.atomic is not None

    def open(self, blocker):
        from django.db import transaction

        with blocker.unblock():
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            try:
                self.build = DemoBuild()
            except BaseException:
                self.close(blocker)
                raise

    def close(self, blocker):
        from django.db import transaction

        if self.atomic is None:
            return
        atomic, self.atomic = self.atomic, None
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        if self.build is not None:
            self.build.discard()
            self.build = None


class CommittedDemo:
    """The demo for transactional tests: its rows, kept after one build.

    On SQLite the whole database file is kept instead (the backup API copies it back in
    milliseconds, where flushing and loading the rows takes seconds); on PostgreSQL the
    rows are loaded again."""

    def __init__(self):
        self.build = self.rows = self.snapshot = None
        self.loaded = False  # for the test about to run

    def load(self, blocker):
        """Put the demo in the database, which holds the migrated rows or nothing."""
        with blocker.unblock():
            if self.build is None or self.build.stale():
                if self.build is not None:
                    self.discard()
                _restore_migrated_rows(blocker, serialized_next=False)
                self.build = DemoBuild()
                self.rows = _database_rows()
                self.snapshot = _sqlite_snapshot(self.build.folder / "demo.sqlite3")
            elif self.snapshot is not None:
                _sqlite_restore(self.snapshot)
            else:
                _empty_database(blocker)
                _load_rows(self.rows)
        self.loaded = True

    def discard(self):
        self.build.discard()  # the snapshot file is in its folder
        self.build = self.rows = self.snapshot = None


def _sqlite_snapshot(path):
    """A copy of the SQLite test database (sqlite3's online backup), or None elsewhere."""
    import sqlite3

    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "sqlite":
        return None
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    copy.close()
    return path


def _sqlite_restore(path):
    """Copy the snapshot back over the test database, through Django's own connection (the
    live server's connections see the new pages, as they would see any write)."""
    import sqlite3

    from django.contrib.contenttypes.models import ContentType
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    ContentType.objects.clear_cache()


_SHARED_DEMO = SharedDemo()
_COMMITTED_DEMO = CommittedDemo()


def _wants_demo(item):
    """"shared", "committed" or None: how the item's demo_site is made beforehand."""
    fixtures = getattr(item, "fixturenames", ())
    # demo_export (tests/mirrors) builds its own demo, under its own MEDIA_ROOT.
    if "demo_site" not in fixtures or "demo_export" in fixtures:
        return None
    uses_db, transactional, serialized = _db_use(item)
    if not transactional:
        return "shared" if uses_db else None
    # Django loads the migrated rows at the start of a serialized_rollback test, which
    # would clash with the demo's (the demo replaced Wagtail's welcome page): it builds.
    return None if serialized else "committed"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the test's fixtures: the migrated rows back if a flush removed them, and the
    demo made ready for it (see above)."""
    _uses_db, transactional, serialized = _db_use(item)
    wants = _wants_demo(item)
    ready = bool(_MIGRATED)  # the test database exists (else demo_site builds its own)
    blocker = _blocker(item.config) if ready else None
    if _SHARED_DEMO.is_open and (wants != "shared" or _SHARED_DEMO.build.stale()):
        _SHARED_DEMO.close(blocker)
    _COMMITTED_DEMO.loaded = False
    if wants == "committed" and ready:
        _COMMITTED_DEMO.load(blocker)
    else:
        _restore_migrated_rows(blocker, serialized)
    if transactional:
        # Its flush at teardown leaves the database empty, or with post_migrate's rows.
        _db_state["now"] = "empty" if serialized else "post_migrate"
    if wants == "shared" and ready and not _SHARED_DEMO.is_open:
        _SHARED_DEMO.open(blocker)


def pytest_itemcollected(item):
    """Markers CI selects by: every test that drives Chromium is `browser` (run once, on
    SQLite), and a `postgres` test is skipped with its reason on any other database."""
    if "browser" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.browser)
    if item.get_closest_marker("postgres"):
        from django.conf import settings

        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            item.add_marker(pytest.mark.skip(
                reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the tests that share the demo one after another. pytest-django has ordered the
    tests as Django does (database tests, then transactional ones, then the rest); within
    the first group the demo tests go last. The sort is stable: otherwise the order stays."""

    def key(item):
        uses_db, transactional, _serialized = _db_use(item)
        group = 1 if transactional else 0 if uses_db else 2
        return group, _wants_demo(item) == "shared"

    items.sort(key=key)


@pytest.fixture
def demo_site(db, settings):
    """The bilingual demo newsroom, as `make demo` builds it (made ready beforehand, see
    above; built here by the first demo test of a session, before the database existed)."""
    if _SHARED_DEMO.is_open:
        return _SHARED_DEMO.build.for_test(settings.MEDIA_ROOT)
    if _COMMITTED_DEMO.loaded:
        return _COMMITTED_DEMO.build.for_test(settings.MEDIA_ROOT)
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
    from playwright.sync_api import expect, sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # A click that opens a page returns once the new page is committed, before it is
    # parsed: tests wait for what they read with expect(...), which retries. On a loaded
    # machine (CI runs two suites at once on two cores) a page can take longer than
    # expect's 5 s default; actions and navigations keep Playwright's 30 s.
    expect.set_options(timeout=30_000)
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
