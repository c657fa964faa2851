"""'Manage my support': the e-mailed link, what a supporter sees, what they change."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from samizdat.support.crypto import blind_index
from samizdat.support.models import ManageLink, Pledge, ProviderEvent
from samizdat.support.models.selfservice import hash_token

from .rows import make_gift, make_pledge

pytestmark = pytest.mark.django_db


def _link_path(message):
    url = re.search(r"https?://\S+/support/manage/link/\S+/", message.body).group(0)
    return urlsplit(url).path


def ask_for_link(client, email):
    return client.post("/support/manage/", {"email": email})


def sign_in(client, mailoutbox, email="reader@example.org"):
    ask_for_link(client, email)
    path = _link_path(mailoutbox[-1])
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/support/manage/account/"
    return path


def test_answer_is_the_same_for_known_and_unknown_addresses(client, mailoutbox):
    make_gift("known@example.org")
    known = ask_for_link(client, "known@example.org")
    unknown = ask_for_link(client, "nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == "/support/manage/sent/"
    page_known = client.get(known["Location"]).content
    page_unknown = client.get(unknown["Location"]).content
    assert page_known == page_unknown
    assert [m.to for m in mailoutbox] == [["known@example.org"]]
    assert ManageLink.objects.count() == 1


def test_malformed_address_gets_a_clear_error_and_sends_nothing(client, mailoutbox):
    response = ask_for_link(client, "not-an-address")
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert mailoutbox == [] and ManageLink.objects.count() == 0


def test_only_a_hash_of_the_token_is_stored(client, mailoutbox):
    make_gift("reader@example.org")
    ask_for_link(client, "reader@example.org")
    token = _link_path(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    link = ManageLink.objects.get()
    assert link.token_hash == hash_token(token) and token not in link.token_hash


def test_link_opens_a_button_then_signs_in_once(client, mailoutbox):
    make_pledge("reader@example.org", 500)
    path = sign_in(client, mailoutbox)
    page = client.get("/support/manage/account/").content.decode()
    assert "reader@example.org" in page and "$5.00" in page

    # A second use of the same link, from any browser, is refused.
    other = Client()
    assert other.get(path).status_code == 410
    response = other.post(path)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert other.get("/support/manage/account/").status_code == 302


def test_mail_scanners_fetching_the_link_do_not_spend_it(client, mailoutbox):
    make_gift("reader@example.org")
    ask_for_link(client, "reader@example.org")
    path = _link_path(mailoutbox[0])
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302


def test_link_expires_after_one_hour_on_a_controlled_clock():
    issued_at = timezone.now() - timedelta(days=1)
    _link, token = ManageLink.objects.issue(blind_index("reader@example.org"), now=issued_at)
    assert ManageLink.objects.redeem(token, now=issued_at + timedelta(minutes=61)) is None
    assert ManageLink.objects.redeem(token, now=issued_at + timedelta(minutes=59)) is not None
    assert ManageLink.objects.redeem(token, now=issued_at + timedelta(minutes=59)) is None


def test_old_links_and_their_addresses_are_forgotten():
    long_ago = timezone.now() - timedelta(days=3)
    ManageLink.objects.issue(blind_index("old@example.org"), now=long_ago)
    ManageLink.objects.issue(blind_index("new@example.org"))
    assert list(ManageLink.objects.values_list("email_index", flat=True)) == [
        blind_index("new@example.org")]


def test_an_expired_link_is_refused_by_the_page(client):
    make_gift("reader@example.org")
    _link, token = ManageLink.objects.issue(
        blind_index("reader@example.org"), now=timezone.now() - timedelta(minutes=61)
    )
    assert client.post(f"/support/manage/link/{token}/").status_code == 410
    assert client.get("/support/manage/account/").status_code == 302


def test_signed_in_session_ends_after_an_hour(client, mailoutbox):
    from samizdat.support import selfservice

    make_gift("reader@example.org")
    sign_in(client, mailoutbox)
    session = client.session
    selfservice.sign_in(session, blind_index("reader@example.org"),
                        now=timezone.now() - timedelta(hours=2))
    session.save()
    client.cookies["sessionid"] = session.session_key
    assert client.get("/support/manage/account/")["Location"] == "/support/manage/"


def test_requests_beyond_the_limit_are_dropped_silently(client, mailoutbox):
    make_gift("reader@example.org")
    for _ in range(8):
        assert ask_for_link(client, "reader@example.org")["Location"] == "/support/manage/sent/"
    assert len(mailoutbox) == 5


def test_supporter_sees_only_their_own_payments_and_can_view_and_resend_receipts(
    client, mailoutbox
):
    _gift, entry = make_gift("reader@example.org", 4200)
    _other, other_entry = make_gift("someone.else@example.org", 9900)
    sign_in(client, mailoutbox)
    page = client.get("/support/manage/account/").content.decode()
    assert "$42.00" in page and "$99.00" not in page

    receipt = client.get(f"/support/manage/receipts/{entry.pk}/")
    assert receipt.status_code == 200 and "$42.00" in receipt.content.decode()
    assert client.get(f"/support/manage/receipts/{other_entry.pk}/").status_code == 404

    sent_before = len(mailoutbox)
    client.post(f"/support/manage/receipts/{entry.pk}/send/")
    assert len(mailoutbox) == sent_before + 1
    assert "$42.00" in mailoutbox[-1].body
    assert client.post(f"/support/manage/receipts/{other_entry.pk}/send/").status_code == 404


def test_change_amount_and_frequency_goes_through_the_provider(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    pledge, _entry = make_pledge("reader@example.org", 500)
    sign_in(client, mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/support/manage/pledges/{pledge.pk}/",
            {"action": "change", "amount": "120", "frequency": "annual"},
        )
    pledge.refresh_from_db()
    assert (pledge.amount_minor, pledge.frequency) == (12000, "annual")
    assert ProviderEvent.objects.filter(pledge=pledge, type="plan.changed").count() == 1


@pytest.mark.parametrize("amount", ["1", "-5", "abc", "10001", "5.555", ""])
def test_bad_amounts_change_nothing_and_call_no_provider(client, mailoutbox, amount):
    pledge, _entry = make_pledge("reader@example.org", 500)
    sign_in(client, mailoutbox)
    events_before = ProviderEvent.objects.count()
    response = client.post(
        f"/support/manage/pledges/{pledge.pk}/",
        {"action": "change", "amount": amount, "frequency": "monthly"},
        follow=True,
    )
    assert 'class="messages__item messages__item--error"' in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.amount_minor == 500
    assert ProviderEvent.objects.count() == events_before


def test_pause_and_resume(client, mailoutbox, django_capture_on_commit_callbacks):
    pledge, _entry = make_pledge("reader@example.org", 500)
    sign_in(client, mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/support/manage/pledges/{pledge.pk}/", {"action": "pause"})
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PAUSED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/support/manage/pledges/{pledge.pk}/", {"action": "resume"})
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.ACTIVE


def test_cancel_with_a_reason_cancels_and_sends_the_notice(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    pledge, _entry = make_pledge("reader@example.org", 500)
    sign_in(client, mailoutbox)
    confirm = client.get(f"/support/manage/pledges/{pledge.pk}/cancel/").content.decode()
    assert "You are about to cancel your $5.00" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/support/manage/pledges/{pledge.pk}/cancel/", {"reason": "Moving abroad"})
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELED
    assert pledge.cancel_reason == "Moving abroad"
    assert mailoutbox[-1].subject == "Your contribution has been canceled"


def test_a_supporter_cannot_touch_someone_elses_pledge(client, mailoutbox):
    make_gift("reader@example.org")
    theirs, _entry = make_pledge("victim@example.org", 500)
    sign_in(client, mailoutbox)
    response = client.post(f"/support/manage/pledges/{theirs.pk}/", {"action": "pause"})
    assert response.status_code == 404
    assert client.get(f"/support/manage/pledges/{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Pledge.Status.ACTIVE


def test_manage_pages_are_never_cached_nor_indexed(client, mailoutbox):
    make_gift("reader@example.org")
    response = client.get("/support/manage/")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    sign_in(client, mailoutbox)
    response = client.get("/support/manage/account/")
    assert "private" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_russian_page_sends_a_russian_prefixed_link(client, mailoutbox):
    make_gift("reader@example.org")
    client.post("/ru/support/manage/", {"email": "reader@example.org"})
    assert "/ru/support/manage/link/" in mailoutbox[0].body
