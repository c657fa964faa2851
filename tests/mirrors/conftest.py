"""Fixtures for the mirrors tests: a signing key, a demo export, static servers."""

import contextlib
import functools
import http.server
import threading
import urllib.parse
from pathlib import Path

import pytest
from django.db import transaction
from django.test.utils import override_settings

from samizdat.mirrors.signing import SecretKey

PRIMARY = "https://news.example.org"
DONATION = "https://give.example.net"
EXPORT_KEYS = {}  # folder -> SecretKey of the demo export


@pytest.fixture
def signing_key(settings, tmp_path, monkeypatch):
    """A fresh key in the setting (the environment variable cleared)."""
    monkeypatch.delenv("SAMIZDAT_MIRROR_SIGNING_KEY", raising=False)
    key = SecretKey.generate()
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = key.file_text()
    settings.SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR = tmp_path / "rotations"
    settings.SITE_URL = PRIMARY
    settings.SAMIZDAT_DONATION_ORIGIN = DONATION
    settings.SAMIZDAT_ONION_URL = ""
    return key


def export(outdir, **kwargs):
    from samizdat.mirrors.export import export_site

    kwargs.setdefault("jobs", 1)
    kwargs.setdefault("progress", False)
    return export_site(outdir, **kwargs)


@pytest.fixture(scope="session")
def demo_export(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo site exported once per test session (per xdist worker); the database is
    rolled back after. Tests only read the folder (they copy it to change it).

    Returns (folder, public key, {page paths that are published}).
    """
    from samizdat.mirrors.urlset import page_paths
    from samizdat.news.demo import build_demo_site

    base = tmp_path_factory.mktemp("demo-export")
    key = SecretKey.generate()
    overrides = override_settings(
        MEDIA_ROOT=base / "media",
        ALLOWED_HOSTS=["*"],
        SITE_URL=PRIMARY,
        SAMIZDAT_DONATION_ORIGIN=DONATION,
        SAMIZDAT_ONION_URL="",
        SAMIZDAT_MIRROR_SIGNING_KEY=key.file_text(),
        SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR=base / "rotations",
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                            "LOCATION": "mirrors-export"}},
    )
    with django_db_blocker.unblock(), overrides, transaction.atomic():
        from django.core.cache import cache

        cache.clear()
        build_demo_site()
        published = set(page_paths().values())
        export(base / "out")
        transaction.set_rollback(True)
    EXPORT_KEYS[base / "out"] = key
    return base / "out", key.public_key, published


def pytest_itemcollected(item):
    """The tests that read demo_export run on one xdist worker (--dist loadgroup), which
    builds and exports the demo once, instead of on each worker."""
    if "demo_export" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.xdist_group("demo-export"))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def log_message(self, *args):
        pass

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / ".not-under-prefix" / "missing")
        return super().translate_path("/" + path[len(self.prefix):])


@contextlib.contextmanager
def serve(directory, prefix="/"):
    """Serve a folder on a loopback port the system picks, optionally under a sub-path."""
    handler = type("Handler", (_Quiet,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


def same_origin(url, base):
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


@pytest.fixture
def staff_client(client, django_user_model):
    """A client signed in as a superuser who passed the two-factor step."""
    from samizdat.users.testing import login_with_second_factor

    user = django_user_model.objects.create_superuser(username="editor", password="x")
    return login_with_second_factor(client, user)


@pytest.fixture(autouse=True)
def _reproducible_exports(monkeypatch):
    """Exports in these tests are reproducible builds: the signed time is fixed, so two
    exports of the same data are identical byte for byte (docs/mirrors.md)."""
    import time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time()) // 86400 * 86400))  # today
