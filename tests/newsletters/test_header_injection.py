"""Header injection: any value that reaches a mail header (names, subjects, addresses) with
a line break is refused by the forms and again at Send, and no message goes out."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from samizdat.newsletters import sending
from samizdat.newsletters.models import Issue, Newsletter, Subscriber, Subscription
from tests.smtp import smtp_inbox  # noqa: F401

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "Weekly\r\nBcc: victim@example.org",
    "Weekly\nBcc: victim@example.org",
    "Weekly\u2028Bcc: victim@example.org",
    "Weekly\x00",
]


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("field", ["name", "sender_name"])
def test_a_newsletter_name_with_a_line_break_is_refused(field, value):
    newsletter = Newsletter(**{"name": "Weekly", field: value})
    with pytest.raises(ValidationError) as error:
        newsletter.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_issue_subject_with_a_line_break_is_refused(value):
    newsletter = Newsletter.objects.create(name="Weekly")
    with pytest.raises(ValidationError) as error:
        Issue(newsletter=newsletter, subject=value, body="Text").full_clean()
    assert "subject" in error.value.message_dict


def test_the_admin_form_refuses_a_sender_name_with_a_line_break(
    client, django_user_model, settings
):
    from django.contrib.auth.models import Permission

    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    user = django_user_model.objects.create_user(username="ed", password="x")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "add_newsletter"])
    )
    client.force_login(user)
    response = client.post(
        "/admin/snippets/newsletters/newsletter/add/",
        {
            "name": "Weekly",
            "language": "en",
            "cadence": "weekly",
            "description": "",
            "sender_name": "Desk\r\nBcc: victim@example.org",
            "sender_address": "",
            "reply_to": "",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "Line breaks are not allowed here." in response.content.decode()
    assert not Newsletter.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", INJECTIONS[0]),
        ("sender_name", INJECTIONS[2]),
        ("reply_to", "desk@example.org\r\nBcc: victim@example.org"),
        ("sender_address", "news@example.org\nBcc: victim@example.org"),
    ],
)
def test_a_value_saved_past_the_forms_is_refused_at_send(smtp_inbox, field, value):  # noqa: F811
    newsletter = Newsletter.objects.create(**{"name": "Weekly", field: value})
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(email="r@example.org"),
        newsletter=newsletter,
        source="page",
        confirmed=timezone.now(),
    )
    issue = Issue.objects.create(newsletter=newsletter, subject="Floods", body="Text.")
    with pytest.raises(sending.NotSendable, match="line break"):
        sending.start(issue.pk)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and not issue.deliveries.exists()
    assert smtp_inbox.messages == []


def test_a_subject_saved_past_the_forms_is_refused_at_send(smtp_inbox):  # noqa: F811
    newsletter = Newsletter.objects.create(name="Weekly")
    issue = Issue.objects.create(newsletter=newsletter, subject=INJECTIONS[1], body="Text.")
    with pytest.raises(sending.NotSendable):
        sending.start(issue.pk)
    assert smtp_inbox.messages == []


@pytest.mark.parametrize(
    "address", ["reader@example.org\r\nBcc: victim@example.org", "reader@example.org\nSubject: hi"]
)
def test_an_address_with_a_line_break_is_refused_by_the_forms(client, mailoutbox, address):
    newsletter = Newsletter.objects.create(name="Weekly")
    signup = client.post(
        "/newsletters/",
        {"email": address, "newsletters": [newsletter.pk], "source": "page", "website": ""},
    )
    manage = client.post("/newsletters/manage/", {"email": address})
    assert signup.status_code == 400 and manage.status_code == 400
    assert mailoutbox == [] and not Subscriber.objects.exists()
