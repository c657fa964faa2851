"""Security headers on reader pages, the privacy page and the admin."""

import pytest
from django.conf import settings

ADMIN = f"/{settings.WAGTAIL_ADMIN_PATH}/"


def directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_reader_page_policy_names_no_other_host(client, demo_site):
    response = client.get("/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    for name in ("default-src", "script-src", "style-src", "img-src", "connect-src", "font-src"):
        assert policy[name] == ["'self'"], name
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_form_action_allows_only_ourselves_and_the_checkout_origin(client, demo_site):
    policy = directives(client.get("/")["Content-Security-Policy"])
    assert policy["form-action"] == ["'self'", *settings.SAMIZDAT_CHECKOUT_ORIGINS]
    assert all(origin.startswith("https://") for origin in policy["form-action"][1:])


@pytest.mark.django_db
def test_every_reader_response_carries_the_privacy_headers(client, demo_site):
    for url in ("/", "/ru/", "/privacy/", "/no-such-page/"):
        response = client.get(url)
        assert response["Referrer-Policy"] == "no-referrer", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["X-Frame-Options"] == "DENY", url
        assert "Content-Security-Policy" in response, url
        permissions = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "interest-cohort",
                        "browsing-topics", "payment", "usb", "publickey-credentials-get",
                        "publickey-credentials-create"):
            assert f"{feature}=()" in permissions, (url, feature)


@pytest.mark.django_db
def test_admin_login_gets_the_admin_policy_without_other_hosts(client):
    response = client.get(f"{ADMIN}login/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    sources = " ".join(" ".join(v) for v in policy.values())
    assert "http" not in sources
    permissions = response["Permissions-Policy"]
    assert permissions.startswith("accelerometer=()")
    # Passkeys for staff, from our own origin only; everything else stays off.
    assert "publickey-credentials-get=(self)" in permissions
    assert "publickey-credentials-create=(self)" in permissions
    assert "camera=()" in permissions and "publickey-credentials-get=()" not in permissions


@pytest.mark.django_db
def test_no_hsts_without_https_setting(client, demo_site):
    assert "Strict-Transport-Security" not in client.get("/")
