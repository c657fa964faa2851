"""Staff sessions expire; the admin lives at a configurable path."""

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import clear_url_caches
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]


def test_session_cookie_ends_with_the_browser(client, make_staff, staff_password):
    make_staff("reporter")
    response = client.post(f"/{settings.WAGTAIL_ADMIN_PATH}/login/",
                           {"username": "reporter", "password": staff_password})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]


def test_an_expired_session_must_sign_in_again(client, make_staff):
    admin = f"/{settings.WAGTAIL_ADMIN_PATH}/"
    client.force_login(make_staff("reporter"))
    assert client.get(admin).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(admin)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{admin}login/")


def test_session_lifetime_is_bounded(make_staff):
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600


def test_admin_path_is_configurable(client, settings, make_staff, staff_password):
    settings.WAGTAIL_ADMIN_PATH = "newsroom-desk-7f3a"
    spec = importlib.util.spec_from_file_location("samizdat_urls_desk",
                                                  ROOT / "samizdat" / "urls.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["samizdat_urls_desk"] = module
    spec.loader.exec_module(module)
    settings.ROOT_URLCONF = "samizdat_urls_desk"
    clear_url_caches()
    try:
        assert client.get("/newsroom-desk-7f3a/login/").status_code == 200
        assert client.get("/admin/login/").status_code == 404
        make_staff("chief", superuser=True)
        client.post("/newsroom-desk-7f3a/login/", {"username": "chief",
                                                   "password": staff_password})
        response = client.get("/newsroom-desk-7f3a/")
        assert response["Location"].startswith("/newsroom-desk-7f3a/2fa/setup/")
    finally:
        del sys.modules["samizdat_urls_desk"]
        clear_url_caches()
