"""The thank-you page: a receipt on its way, managing the support in the same browser
session right after paying (no e-mail round trip), and a way back to reading."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from samizdat.support.models import Pledge

pytestmark = pytest.mark.django_db


def _pay(client, **data):
    base = {"frequency": "monthly", "currency": "USD", "amount": "5", "email":
            "reader@example.org", "method": "demo", "website": ""}
    base.update(data)
    checkout_url = client.post("/support/", base)["Location"]
    return client.post(checkout_url, {"action": "pay"})["Location"]


def test_after_paying_the_reader_manages_their_plan_without_an_email(client):
    thanks_url = _pay(client)
    html = client.get(thanks_url).content.decode()
    assert "A receipt is on its way" in html
    assert "Back to the news" in html
    assert "Manage your regular contribution" in html
    response = client.post(f"{thanks_url}manage/")
    assert response["Location"] == "/support/manage/account/"
    account = client.get("/support/manage/account/").content.decode()
    assert "$5.00" in account and Pledge.objects.get().status == "active"


def test_the_session_cookie_lasts_only_for_the_browser_session(client):
    client.post("/support/", {"frequency": "monthly", "currency": "USD", "amount": "5",
                              "email": "reader@example.org", "method": "demo", "website": ""})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and not cookie["max-age"] and not cookie["expires"]


def test_another_browser_with_the_thanks_link_cannot_manage(client):
    thanks_url = _pay(client)
    stranger = Client()
    html = stranger.get(thanks_url).content.decode()
    assert "Manage your regular contribution" not in html
    assert "Manage your support" in html  # the e-mailed sign-in link instead
    response = stranger.post(f"{thanks_url}manage/")
    assert response["Location"] == "/support/manage/"
    assert stranger.get("/support/manage/account/").status_code == 302


def test_the_grant_ends_after_an_hour(client):
    thanks_url = _pay(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert "Manage your regular contribution" not in client.get(thanks_url).content.decode()
        assert client.post(f"{thanks_url}manage/")["Location"] == "/support/manage/"


def test_a_gift_without_an_address_promises_no_receipt(client):
    html = client.get(_pay(client, frequency="once", amount="25", email="")).content.decode()
    assert "receipt" not in html and "Manage" not in html
    assert "Back to the news" in html
    assert "sessionid" not in client.cookies
