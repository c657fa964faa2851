"""The CSP headers built once per process (security/middleware.py) are django-csp's own,
on reader pages, the admin, report-only policies and with a nonce; a changed setting
is seen at once."""

from unittest import mock

import pytest
from csp.constants import NONCE
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from samizdat.security import middleware as security

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def headers(middleware_class, path, use_nonce=False):
    request = RequestFactory().get(path)

    def view(request):
        if use_nonce:
            str(request.csp_nonce)
        return HttpResponse("ok")

    response = middleware_class(view)(request)
    return {h: response.get(h) for h in HEADERS}


class StockWithAdmin(security.SamizdatCSPMiddleware):
    """django-csp 4's own header writing, with the admin policy chosen as ours does."""

    process_response = CSPMiddleware.process_response


@pytest.fixture
def report_only(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"}}


@pytest.mark.parametrize("path", ["/", "/news/some-story/", "/admin/pages/"])
def test_cached_headers_equal_django_csps(settings, report_only, path):
    settings.WAGTAIL_ADMIN_PATH = "admin"
    expected = headers(StockWithAdmin, path)
    assert expected["Content-Security-Policy"]
    assert expected["Content-Security-Policy-Report-Only"]
    for _ in range(2):  # built, then from the cache
        assert headers(security.SamizdatCSPMiddleware, path) == expected


def test_built_once_then_reused():
    security._built.clear()
    with mock.patch.object(security, "build_policy", wraps=security.build_policy) as built:
        first = headers(security.SamizdatCSPMiddleware, "/")
        calls = built.call_count
        for _ in range(5):
            assert headers(security.SamizdatCSPMiddleware, "/") == first
    assert built.call_count == calls


def test_a_nonce_is_never_cached(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    one = headers(security.SamizdatCSPMiddleware, "/", use_nonce=True)
    two = headers(security.SamizdatCSPMiddleware, "/", use_nonce=True)
    assert "nonce-" in one["Content-Security-Policy"]
    assert one != two
    assert "nonce-" not in headers(security.SamizdatCSPMiddleware, "/")["Content-Security-Policy"]


def test_a_changed_setting_is_seen(settings):
    before = headers(security.SamizdatCSPMiddleware, "/")["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    after = headers(security.SamizdatCSPMiddleware, "/")["Content-Security-Policy"]
    assert after != before
    assert after == headers(CSPMiddleware, "/")["Content-Security-Policy"]
