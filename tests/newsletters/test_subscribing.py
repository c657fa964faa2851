"""Signing up without JavaScript: double opt-in, one answer for every address, limits,
a honeypot, and unconfirmed requests erased after a week."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from samizdat.newsletters.models import Newsletter, Subscriber, Subscription

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.org"


@pytest.fixture
def newsletters():
    return {
        "weekly": Newsletter.objects.create(name="Weekly digest", cadence="weekly",
                                            description="The week's reporting."),
        "ru": Newsletter.objects.create(name="Утренняя сводка", cadence="daily", language="ru"),
    }


def sign_up(client, *chosen, email=ADDRESS, prefix="", **extra):
    data = {"email": email, "source": "page", "website": "", **extra}
    if chosen:
        data["newsletters"] = [str(n.pk) for n in chosen]
    return client.post(f"{prefix}/newsletters/", data, REMOTE_ADDR=extra.pop("ip", "10.0.0.1"))


def link_in(message):
    return re.search(r"https?://\S+/newsletters/confirm/\S+/", message.body).group(0)


def test_the_page_lists_newsletters_with_description_and_frequency(client, newsletters):
    page = client.get("/newsletters/").content.decode()
    assert "Weekly digest" in page and "The week&#x27;s reporting." in page
    assert "Weekly" in page and "Daily" in page
    assert 'name="email"' in page


def test_the_footer_has_a_sign_up_form_without_a_csrf_cookie(client, newsletters):
    response = client.get("/newsletters/")
    assert 'class="site-footer__newsletter"' in response.content.decode()
    mail.outbox.clear()
    footer = client.post("/ru/newsletters/", {"email": ADDRESS, "source": "footer"})
    assert footer.status_code == 200
    subscription = Subscription.objects.get()
    assert (subscription.newsletter, subscription.source) == (newsletters["ru"], "footer")
    assert len(mail.outbox) == 1


def test_nothing_is_sent_but_the_confirmation_until_the_link_is_used(client, newsletters):
    response = sign_up(client, newsletters["weekly"])
    assert "Check your inbox" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [ADDRESS]
    assert "Weekly digest" in mail.outbox[0].body
    subscription = Subscription.objects.get()
    assert subscription.confirmed is None and subscription.source == "page"

    url = link_in(mail.outbox[0])
    assert client.get(url).status_code == 200  # a link scanner's GET confirms nothing
    subscription.refresh_from_db()
    assert subscription.confirmed is None
    assert "Subscribed" in client.post(url).content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed is not None
    assert client.post(url).status_code == 404  # single use


def test_the_answer_is_the_same_for_new_pending_and_subscribed(client, newsletters):
    def answer():
        body = sign_up(client, newsletters["weekly"]).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)

    new = answer()
    pending = answer()
    client.post(link_in(mail.outbox[-1]))
    subscribed = answer()
    assert new == pending == subscribed
    assert len(mail.outbox) == 2  # nothing sent once subscribed


def test_the_honeypot_sends_nothing_and_answers_the_same(client, newsletters):
    response = sign_up(client, newsletters["weekly"], website="http://spam.example")
    assert "Check your inbox" in response.content.decode()
    assert mail.outbox == [] and not Subscriber.objects.exists()


def test_bad_input_gets_an_error_and_changes_nothing(client, newsletters):
    assert sign_up(client, newsletters["weekly"], email="not-an-address").status_code == 400
    response = sign_up(client)
    assert response.status_code == 400
    assert "Choose at least one newsletter." in response.content.decode()
    assert not Subscriber.objects.exists() and mail.outbox == []


def test_an_address_gets_few_confirmations_however_often_it_is_entered(
        client, newsletters, settings):
    settings.NEWSLETTERS_ADDRESS_LIMIT = (2, 3600)
    for n in range(5):
        assert sign_up(client, newsletters["weekly"], ip=f"10.0.1.{n}").status_code == 200
    assert len(mail.outbox) == 2


def test_a_busy_shared_address_is_slowed_not_shut_out(client, newsletters, settings):
    settings.NEWSLETTERS_CLIENT_LIMIT = (3, 3600)
    for n in range(3):
        assert sign_up(client, newsletters["weekly"], email=f"r{n}@example.org").status_code == 200
    refused = sign_up(client, newsletters["weekly"], email="r9@example.org")
    assert refused.status_code == 429 and "Too many sign-ups" in refused.content.decode()
    assert not Subscriber.objects.filter(email_index__in=[]).exists()
    assert len(mail.outbox) == 3
    from django.core.cache import cache

    cache.clear()  # the window has passed
    assert sign_up(client, newsletters["weekly"], email="r9@example.org").status_code == 200
    assert len(mail.outbox) == 4


def test_unconfirmed_requests_are_erased_after_seven_days(client, newsletters):
    sign_up(client, newsletters["weekly"])
    sign_up(client, newsletters["weekly"], email="keeper@example.org")
    client.post(link_in(mail.outbox[-1]))
    eight_days_ago = timezone.now() - timedelta(days=8)
    Subscription.objects.update(requested=eight_days_ago)
    Subscriber.objects.update(created=eight_days_ago)
    call_command("purge_newsletter_requests")
    assert [s.email for s in Subscriber.objects.all()] == ["keeper@example.org"]
    assert Subscription.objects.get().confirmed is not None


def test_russian_pages_and_confirmation_are_in_russian(client, newsletters):
    page = client.get("/ru/newsletters/").content.decode()
    assert "Рассылки" in page
    sign_up(client, newsletters["ru"], prefix="/ru")
    assert "/ru/newsletters/confirm/" in mail.outbox[0].body
    assert "Подтвердите" in mail.outbox[0].subject
