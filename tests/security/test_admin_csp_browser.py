"""The Wagtail admin works in Chromium under its CSP, with no violation logged.

It signs in through the real forms (password, then a TOTP computed here),
opens the admin's main screens and records every CSP report the browser makes.
"""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import totp_now

pytestmark = pytest.mark.browser

CSP_WORDS = ("Content Security Policy", "Content-Security-Policy")


def admin_screens(demo_site):
    from wagtail.models import Page

    from samizdat.news.models import ArticlePage

    article = ArticlePage.objects.live().first()
    home = Page.objects.get(depth=2, locale__language_code="en")
    return [
        "",
        "pages/",
        f"pages/{home.pk}/",
        f"pages/{article.pk}/edit/",
        f"pages/{article.pk}/edit/preview/?mode=",
        f"pages/add/news/articlepage/{article.get_parent().pk}/",
        "images/",
        "images/multiple/add/",
        "documents/",
        "users/",
        "groups/",
        "snippets/",
        "reports/site-history/",
        "account/",
        "2fa/",
    ]


def sign_in_with_second_factor(page, base, user, password, device):
    admin = f"{base}/{settings.WAGTAIL_ADMIN_PATH}/"
    page.goto(f"{admin}login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(f"{admin}2fa/verify/**")
    page.fill("input[name=token]", totp_now(device))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.url == admin, (page.url, page.content()[:3000])


def visit_admin(browser, live_server, demo_site, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    context = browser.new_context()
    page = context.new_page()
    violations, failures = [], []
    page.on("console", lambda msg: violations.append(f"{page.url}: {msg.text}")
            if any(word in msg.text for word in CSP_WORDS) else None)
    # ERR_ABORTED is the browser cancelling a request when the next screen opens
    # (the favicon, often); a blocked or missing resource fails otherwise.
    page.on("requestfailed", lambda req: failures.append(f"{req.url} {req.failure}")
            if "ERR_ABORTED" not in (req.failure or "") else None)
    hosts = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc)
            if req.url.startswith("http") else None)
    sign_in_with_second_factor(page, live_server.url, user, staff_password, device)
    statuses = {}
    for screen in admin_screens(demo_site):
        response = page.goto(f"{live_server.url}/{settings.WAGTAIL_ADMIN_PATH}/{screen}")
        page.wait_for_load_state("networkidle")
        statuses[screen] = response.status
    context.close()
    return statuses, violations, failures, hosts


def test_admin_screens_load_without_csp_violations(browser, live_server, demo_site,
                                                   make_staff, staff_password):
    statuses, violations, failures, hosts = visit_admin(
        browser, live_server, demo_site, make_staff, staff_password)
    assert all(status == 200 for status in statuses.values()), statuses
    assert violations == []
    assert failures == []
    assert hosts == {urlsplit(live_server.url).netloc}


def test_strict_reader_policy_would_break_the_admin(browser, live_server, demo_site,
                                                   make_staff, staff_password, settings):
    """Why the admin has its own policy: the reader policy blocks Wagtail's inline code."""
    settings.SAMIZDAT_ADMIN_CSP = None
    _statuses, violations, _failures, _hosts = visit_admin(
        browser, live_server, demo_site, make_staff, staff_password)
    assert any("inline" in v for v in violations)
