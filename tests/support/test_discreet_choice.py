"""Each supporter chooses discreet e-mails for themselves (issue 12): a box on the
contribution form and on the manage page; the newsroom-wide switch is only the default.
Receipts, failed-renewal notices and sign-in links honour the choice, over real SMTP."""

import re

import pytest

from samizdat.support import events
from samizdat.support.models import Contribution, Pledge, Supporter, SupporterEmailSettings
from tests.smtp import parts

from .rows import make_gift, make_pledge
from .test_selfservice import sign_in

pytestmark = pytest.mark.django_db

NEUTRAL = "Your account update"


def _newsroom_default(discreet):
    prefs = SupporterEmailSettings.load()
    prefs.discreet = discreet
    prefs.save()


def _start(client, **extra):
    data = {
        "frequency": "monthly",
        "currency": "USD",
        "amount": "5",
        "other_amount": "",
        "email": "reader@example.org",
        "website": "",
        "method": "demo",
        **extra,
    }
    response = client.post("/support/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_form_box_is_ticked_by_the_newsroom_default_or_the_risk_switch(client):
    box = 'id="id_discreet" name="discreet" value="1" aria-describedby="discreet-hint"'
    assert f"{box}>" in client.get("/support/").content.decode()
    assert f"{box} checked>" in client.get("/support/?risk=1").content.decode()
    _newsroom_default(True)
    assert f"{box} checked>" in client.get("/support/").content.decode()


def test_form_choice_is_kept_on_the_plan_and_carried_through_the_method_step(client):
    step = client.post(
        "/support/",
        {
            "frequency": "monthly",
            "currency": "USD",
            "amount": "5",
            "email": "reader@example.org",
            "website": "",
            "discreet_asked": "1",
            "discreet": "1",
        },
    )
    html = step.content.decode()
    assert '<input type="hidden" name="discreet" value="1">' in html
    # "Change" goes back to the first step with the box as the reader left it.
    change = re.search(r'<a href="([^"]+)">Change</a>', html).group(1).replace("&amp;", "&")
    assert "discreet=1" in change
    assert 'aria-describedby="discreet-hint" checked>' in client.get(change).content.decode()
    _start(client, discreet_asked="1", discreet="1")
    _start(client, discreet_asked="1", email="open@example.org")
    _start(client, email="appeal@example.org")  # a form without the box: the default
    by_email = {p.checkout_email: p.discreet_emails for p in Pledge.objects.all()}
    assert by_email == {
        "reader@example.org": True,
        "open@example.org": False,
        "appeal@example.org": None,
    }


def test_receipt_is_discreet_for_a_supporter_who_asked_though_the_newsroom_is_not(
    smtp_inbox, outlet
):
    gift, entry = make_gift("quiet@example.org", 2500, "USD")
    Contribution.objects.filter(pk=gift.pk).update(discreet_emails=True)
    _other, other_entry = make_gift("open@example.org", 2500, "USD")

    events.payment_recorded.send(sender=type(entry), entry=entry)
    events.payment_recorded.send(sender=type(other_entry), entry=other_entry)

    messages = {m["To"]: m for m in smtp_inbox.wait_for(2)}
    quiet, open_ = messages["quiet@example.org"], messages["open@example.org"]
    assert quiet["Subject"] == NEUTRAL
    assert "Courier" not in quiet.as_string() and "25.00" not in parts(quiet)[0]
    assert open_["Subject"] == "Your receipt from The Free Courier"


def test_supporter_who_opts_out_gets_plain_mail_while_the_newsroom_default_is_discreet(
    smtp_inbox, outlet
):
    _newsroom_default(True)
    pledge, _entry = make_pledge("open@example.org", 500, status="past_due")
    Pledge.objects.filter(pk=pledge.pk).update(discreet_emails=False)
    pledge.refresh_from_db()

    events.renewal_failed.send(sender=type(pledge), pledge=pledge)

    [message] = smtp_inbox.wait_for(1)
    assert message["Subject"] == "Your contribution could not be collected"
    assert "$5.00 monthly" in parts(message)[0]


def test_manage_page_choice_applies_to_every_later_mail(client, mailoutbox, settings):
    pledge, entry = make_pledge("reader@example.org", 500, status="active")
    sign_in(client, mailoutbox)
    page = client.get("/support/manage/account/").content.decode()
    assert 'id="id_discreet" name="discreet" value="1" aria-describedby="discreet-hint">' in page

    response = client.post("/support/manage/emails/", {"discreet": "1"})
    assert response["Location"] == "/support/manage/account/#emails"
    page = client.get("/support/manage/account/").content.decode()
    assert "From now on our e-mails to you are discreet." in page
    assert 'aria-describedby="discreet-hint" checked>' in page
    assert Supporter.objects.get().discreet_emails is True
    pledge.refresh_from_db()
    assert pledge.discreet_emails is True

    from samizdat.support.tasks import send_receipt

    mailoutbox.clear()
    send_receipt.enqueue(entry.pk, again=True)
    assert [m.subject for m in mailoutbox] == [NEUTRAL]
    assert "Courier" not in mailoutbox[0].body and "5.00" not in mailoutbox[0].body
    client.post("/support/manage/emails/", {})
    mailoutbox.clear()
    send_receipt.enqueue(entry.pk, again=True)
    assert mailoutbox[0].subject.startswith("Your receipt from")


def test_sign_in_link_is_discreet_once_any_gift_asked_for_it(client, mailoutbox):
    gift, _entry = make_gift("reader@example.org")
    Contribution.objects.filter(pk=gift.pk).update(discreet_emails=True)
    client.post("/support/manage/", {"email": "reader@example.org"})
    assert [m.subject for m in mailoutbox] == [NEUTRAL]


def test_the_data_download_says_which_e_mails_the_supporter_chose(client, mailoutbox):
    import json

    pledge, _entry = make_pledge("reader@example.org", 500, status="active")
    sign_in(client, mailoutbox)
    data = json.loads(client.get("/support/manage/my-data.json").content)
    assert data["discreet_emails"] is None
    assert [p["discreet_emails"] for p in data["plans"]] == [None]

    client.post("/support/manage/emails/", {"discreet": "1"})
    data = json.loads(client.get("/support/manage/my-data.json").content)
    assert data["discreet_emails"] is True
    assert [p["discreet_emails"] for p in data["plans"]] == [True]
