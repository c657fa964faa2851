"""Login throttling (django-axes) that never tells whether an account exists."""

import re

import pytest
from django.conf import settings
from django.test import Client

ADMIN = f"/{settings.WAGTAIL_ADMIN_PATH}/"


def attempt(client, username, password, ip="203.0.113.7"):
    return client.post(f"{ADMIN}login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def messages_of(response):
    html = response.content.decode()
    return re.findall(r'<li class="error">(.*?)</li>|role="alert" id="login-locked">(.*?)</p>',
                      html)


def test_wrong_password_and_unknown_user_get_the_same_answer(make_staff):
    make_staff("editor")
    known = attempt(Client(), "editor", "wrong password", ip="203.0.113.1")
    unknown = attempt(Client(), "nobody-here", "wrong password", ip="203.0.113.2")
    assert known.status_code == unknown.status_code == 200
    assert messages_of(known) == messages_of(unknown) != []


def test_lockout_after_the_failure_limit_looks_the_same_for_known_and_unknown_users(
        make_staff, staff_password):
    make_staff("editor")
    limit = settings.AXES_FAILURE_LIMIT
    answers = {}
    for username, ip in (("editor", "198.51.100.1"), ("nobody-here", "198.51.100.2")):
        client = Client()
        for _ in range(limit - 1):
            assert attempt(client, username, "wrong password", ip=ip).status_code == 200
        answers[username] = attempt(client, username, "wrong password", ip=ip)
    known, unknown = answers["editor"], answers["nobody-here"]
    assert known.status_code == unknown.status_code == 429
    assert messages_of(known) == messages_of(unknown)
    assert "Too many failed sign-in attempts" in known.content.decode()


def test_locked_account_refuses_even_the_right_password(make_staff, staff_password):
    make_staff("editor")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "editor", "wrong password", ip="192.0.2.10")
    response = attempt(Client(), "editor", staff_password, ip="192.0.2.99")
    assert response.status_code == 429
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_one_address_guessing_many_user_names_is_locked_out(make_staff, staff_password):
    make_staff("editor")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{n}", "wrong password", ip="192.0.2.50")
    response = attempt(client, "editor", staff_password, ip="192.0.2.50")
    assert response.status_code == 429


def test_success_before_the_limit_resets_the_count(make_staff, staff_password):
    make_staff("editor")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "editor", "wrong password", ip="192.0.2.20")
    assert attempt(client, "editor", staff_password, ip="192.0.2.20").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "editor", "wrong password", ip="192.0.2.20").status_code == 200


def test_behind_the_proxy_the_real_client_address_is_throttled(make_staff, settings):
    settings.SAMIZDAT_BEHIND_PROXY = True
    make_staff("editor")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(f"{ADMIN}login/", {"username": f"g{n}", "password": "x"},
                    REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="192.0.2.77")
    other = client.post(f"{ADMIN}login/", {"username": "someone", "password": "x"},
                        REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="192.0.2.78")
    assert other.status_code == 200


@pytest.mark.django_db
def test_failed_sign_ins_store_no_password(make_staff):
    from axes.models import AccessAttempt

    attempt(Client(), "editor", "hunter2-secret")
    stored = " ".join(str(v) for v in AccessAttempt.objects.values_list("post_data", flat=True))
    assert "hunter2-secret" not in stored
