"""Shared fixtures: fast, isolated settings and the demo site."""

import os
import shutil

import pytest


def free_port():
    """A loopback port nobody listens on now, so suites can run side by side."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOWED_HOSTS = ["*"]
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def demo_site(db):
    """The bilingual demo newsroom, as `make demo` builds it."""
    from samizdat.news.demo import build_demo_site

    return build_demo_site()


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
