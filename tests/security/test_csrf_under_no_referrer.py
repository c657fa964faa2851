"""Forms still post under `Referrer-Policy: no-referrer`, which makes browsers send
`Origin: null`; a cross-site post is still refused."""

from django.conf import settings
from django.test import Client

LOGIN = f"/{settings.WAGTAIL_ADMIN_PATH}/login/"


def post_login(origin, fetch_site, make_staff, staff_password):
    make_staff("reporter")
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(LOGIN, {"username": "reporter", "password": staff_password,
                               "csrfmiddlewaretoken": token},
                       HTTP_ORIGIN=origin, HTTP_SEC_FETCH_SITE=fetch_site)


def test_same_origin_post_with_null_origin_is_accepted(make_staff, staff_password):
    response = post_login("null", "same-origin", make_staff, staff_password)
    assert response.status_code == 302


def test_cross_site_post_with_null_origin_is_refused(make_staff, staff_password):
    response = post_login("null", "cross-site", make_staff, staff_password)
    assert response.status_code == 403


def test_post_from_another_origin_is_refused(make_staff, staff_password):
    response = post_login("https://evil.example", "same-origin", make_staff, staff_password)
    assert response.status_code == 403
