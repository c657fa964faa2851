"""After a failed renewal the supporter updates their card and tries the payment again
(issue 12): the failed-renewal e-mail links to a page that does both, through the demo
provider's simulated card page, Stripe's hosted billing portal (no Stripe script on our
pages) and Stripe's invoice retry against localstripe."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from samizdat.support.models import LedgerEntry, Pledge, Supporter

from .conftest import retrying, wait_for

pytestmark = pytest.mark.django_db


def _payment_path(message):
    url = re.search(r"https?://\S+/support/payment/\S+/", message.body).group(0)
    return urlsplit(url).path


@pytest.fixture
def failed_demo_plan(demo, make_pledge, django_capture_on_commit_callbacks):
    pledge = make_pledge(provider="demo")
    demo.complete(pledge)
    pledge.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the notice follows the commit
        demo.simulate_renewal(pledge, fail=True)
    pledge.refresh_from_db()
    assert pledge.status == "past_due"
    return pledge


def test_failed_renewal_mail_links_to_a_page_that_updates_the_card_and_pays(
    client, failed_demo_plan
):
    pledge = failed_demo_plan
    [notice] = mail.outbox
    path = _payment_path(notice)
    html = notice.alternatives[0][0]
    assert f'href="http://127.0.0.1:8000{path}"' in html
    page = client.get(path)
    text = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    assert "$5.00" in text and "Update my card" in text and "Try the payment again" in text
    assert "<script" not in text.split("<main", 1)[1]

    to_card = client.post(path, {"action": "update"})
    card_page = urlsplit(to_card["Location"])
    assert card_page.path == f"/support/demo-card/{pledge.reference}/"
    simulated = client.get(to_card["Location"]).content.decode()
    assert "SIMULATION" in simulated
    back = client.post(card_page.path, {"next": f"http://127.0.0.1:8000{path}?back=1"})
    assert back["Location"] == f"http://127.0.0.1:8000{path}?back=1"
    assert "If you saved a new card" in client.get(f"{path}?back=1").content.decode()

    payments = LedgerEntry.objects.filter(pledge=pledge, kind="payment").count()
    done = client.post(path, {"action": "retry"}, follow=True)
    assert "the payment went through" in done.content.decode()
    pledge.refresh_from_db()
    assert pledge.status == "active"
    assert LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == payments + 1
    # Nothing left to retry: the button is gone, and a forged retry changes nothing.
    assert "Try the payment again" not in client.get(path).content.decode()
    again = client.post(path, {"action": "retry"}, follow=True).content.decode()
    assert "There is no failed payment to try again." in again
    assert LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == payments + 1


def test_demo_card_page_sends_no_one_to_another_site(client, failed_demo_plan):
    path = f"/support/demo-card/{failed_demo_plan.reference}/"
    response = client.post(path, {"next": "https://evil.example/"})
    assert response["Location"] == "/support/manage/"


def test_forged_expired_or_erased_links_open_nothing(client, failed_demo_plan, settings):
    from samizdat.support.payment_links import path_for

    assert client.get("/support/payment/not-a-token/").status_code == 410
    path = path_for(failed_demo_plan)
    settings.SUPPORT_PAYMENT_LINK_DAYS = -1
    assert client.get(path).status_code == 410
    settings.SUPPORT_PAYMENT_LINK_DAYS = 30
    Supporter.objects.update(email="", email_index="")
    response = client.post(path, {"action": "retry"})
    assert response.status_code == 410
    assert Pledge.objects.get().status == "past_due"


def test_manage_page_links_a_past_due_plan_to_its_card_page(client, failed_demo_plan, mailoutbox):
    from samizdat.support.payment_links import path_for

    client.post("/support/manage/", {"email": "reader@example.org"})
    link = re.search(r"https?://\S+/support/manage/link/\S+/", mailoutbox[-1].body).group(0)
    client.post(urlsplit(link).path)
    page = client.get("/support/manage/account/").content.decode()
    found = re.search(
        r'<a href="(/support/payment/[^"]+/)">Update your card and try the '
        r"payment again</a>",
        page,
    )
    assert found and found.group(1).split(":")[0] == path_for(failed_demo_plan).split(":")[0]
    assert "Try the payment again" in client.get(found.group(1)).content.decode()


def test_stripe_card_update_opens_the_hosted_billing_portal(
    client, stripe_events, settings, recorder, make_pledge
):
    settings.SAMIZDAT_PAYMENT_PROVIDERS["stripe"]["OPTIONS"]["API_BASE"] = recorder.url
    recorder.responses[("POST", "/v1/billing_portal/sessions")] = (
        200,
        {
            "id": "bps_1",
            "object": "billing_portal.session",
            "url": "https://billing.stripe.com/p/session/test_1",
        },
    )
    pledge = make_pledge(
        provider="stripe",
        status="past_due",
        subscription_ref="sub_1",
        customer_ref="cus_1",
        language="ru",
    )
    from samizdat.support.payment_links import path_for

    path = path_for(pledge)
    page = client.get(path).content.decode()
    assert "js.stripe.com" not in page and "<script" not in page.split("<main", 1)[1]
    response = client.post(path, {"action": "update"})
    assert response["Location"] == "https://billing.stripe.com/p/session/test_1"
    [sent] = recorder.requests
    form = sent["form"]
    assert form["customer"] == "cus_1" and form["locale"] == "ru"
    assert form["flow_data[type]"] == "payment_method_update"
    assert form["return_url"] == f"http://127.0.0.1:8000{path}?back=1"
    assert form["flow_data[after_completion][redirect][return_url]"] == form["return_url"]


def test_stripe_down_at_card_update_says_so_and_changes_nothing(client, stripe_events, make_pledge):
    pledge = make_pledge(
        provider="stripe", status="past_due", subscription_ref="sub_1", customer_ref="cus_1"
    )
    from samizdat.support.payment_links import path_for

    path = path_for(pledge)
    response = client.post(path, {"action": "update"}, follow=True)
    assert response.redirect_chain[-1][0] == path
    assert "payment service" in response.content.decode().lower()
    assert Pledge.objects.get().status == "past_due"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("no_fundraising_group_hook")
def test_stripe_retry_pays_the_open_invoice_with_the_new_card(
    localstripe, stripe_client, webhook_server, settings, make_pledge
):
    """localstripe: a renewal fails on a declining card; the retry with the old card is
    declined again (and says so); once a new default card is set — what the portal does —
    the retry pays the open invoice and Stripe's own invoice.paid event records it."""
    import urllib.parse
    import urllib.request

    from samizdat.support.actions import ActionError
    from samizdat.support.actions.payments import retry_payment

    from .conftest import STRIPE_WEBHOOK_SECRET

    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "stripe": {
            "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
            "OPTIONS": {
                "SECRET_KEY": "sk_test_samizdat",
                "API_BASE": localstripe,
                "WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            },
        }
    }
    hook = urllib.parse.urlencode(
        {"url": f"{webhook_server.url}/support/webhooks/stripe/", "secret": STRIPE_WEBHOOK_SECRET}
    ).encode()
    urllib.request.urlopen(f"{localstripe}/_config/webhooks/samizdat", data=hook)
    try:
        pledge = retrying(lambda: make_pledge(provider="stripe"))
        client = stripe_client
        customer = client.v1.customers.create(params={"email": "r@example.org"})
        good = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": good.id}}
        )
        product = client.v1.products.create(params={"name": "Monthly contribution"})
        plan = client.v1.plans.create(
            params={"amount": 500, "currency": "usd", "interval": "month", "product": product.id}
        )
        subscription = client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"plan": plan.id}],
                "metadata": {"samizdat_reference": pledge.reference},
            }
        )
        assert wait_for(lambda: Pledge.objects.get(pk=pledge.pk).status == "active")
        bad = client.v1.payment_methods.attach(
            "pm_card_chargeCustomerFail", params={"customer": customer.id}
        )
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": bad.id}}
        )
        invoice = client.v1.invoices.create(
            params={"customer": customer.id, "subscription": subscription.id}
        )
        try:
            client.v1.invoices.pay(invoice.id)
        except Exception:  # noqa: BLE001 - localstripe answers a decline either way
            pass
        assert client.v1.invoices.retrieve(invoice.id).status == "open"
        Pledge.objects.filter(pk=pledge.pk).update(status="past_due")
        retrying(pledge.refresh_from_db)
        payments = LedgerEntry.objects.filter(pledge=pledge, kind="payment").count()

        with pytest.raises(ActionError, match="declined again"):
            retry_payment(pledge)
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": good.id}}
        )
        assert retry_payment(pledge) is True
        assert client.v1.invoices.retrieve(invoice.id).status == "paid"
        assert wait_for(
            lambda: (
                LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == payments + 1
            )
        )
    finally:
        off = urllib.parse.urlencode({"url": "http://127.0.0.1:9/", "secret": "x"}).encode()
        urllib.request.urlopen(f"{localstripe}/_config/webhooks/samizdat", data=off)
    assert Client().get("/support/").status_code == 200
