"""Importing a list exported from Mailchimp, Substack or Ghost: columns mapped, consent
recorded or asked again, duplicates merged, bad rows named by row number, nothing half
imported, and a file that cannot be read changes nothing."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.utils import timezone

from samizdat.core.crypto import blind_index
from samizdat.newsletters import importing
from samizdat.newsletters.models import Newsletter, Subscriber, Subscription
from tests.smtp import smtp_inbox  # noqa: F401

pytestmark = pytest.mark.django_db

MAILCHIMP = (
    "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,LANGUAGE\n"
    "ana@example.org,Ana,R,2,2024-01-02 10:00:00,ru\n"
    "Bo@Example.org,Bo,S,3,2024-02-03 11:00:00,\n"
    "bo@example.org,Bo,again,3,2024-02-03 11:00:00,en\n"
    "old@example.org,Old,Reader,1,2020-01-01 00:00:00,\n"
)
GHOST = (
    "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,"
    "created_at,deleted_at,labels,tiers\n"
    "1,keen@example.org,Keen,,true,false,,2024-01-01T00:00:00.000Z,,,\n"
    "2,gone@example.org,Gone,,false,false,,2024-01-01T00:00:00.000Z,,,\n"
)
SUBSTACK = (
    "email,active_subscription,expiry,plan,email_disabled,created_at\n"
    "first@example.org,false,,,false,2024-05-01\n"
    "second@example.org,false,,,false,2024-05-02\n"
)


@pytest.fixture
def weekly():
    return Newsletter.objects.create(name="The Weekly Samizdat", cadence="weekly")


def state():
    """Everything an import could change, to show it changed nothing."""
    return (
        sorted(Subscriber.objects.values_list("email_index", "language")),
        sorted(
            Subscription.objects.values_list(
                "subscriber_id", "newsletter_id", "confirmed", "source"
            )
        ),
    )


def run(text, newsletter, encoding="utf-8", **options):
    return importing.import_list(text.encode(encoding), newsletter, **options)


def test_a_mailchimp_export_imports_as_confirmed_with_its_consent_source(weekly):
    existing = Subscriber.objects.create(email="old@example.org")
    Subscription.objects.create(
        subscriber=existing, newsletter=weekly, source="page", confirmed=timezone.now()
    )
    report = run(
        MAILCHIMP,
        weekly,
        preset="mailchimp",
        language_column="LANGUAGE",
        mode="confirmed",
        consent_note="Mailchimp sign-up form, 2019-2025",
    )
    assert report.imported and report.errors == []
    assert (report.rows, report.added, report.merged) == (4, 2, 2)
    assert Subscriber.objects.count() == 3  # Bo twice in the file, Old already here
    ana = Subscription.objects.get(subscriber__email_index=blind_index("ana@example.org"))
    assert ana.confirmed is not None and ana.source == "import"
    assert ana.consent_note == "Mailchimp sign-up form, 2019-2025"
    assert ana.subscriber.language == "ru"
    assert Subscription.objects.get(subscriber=existing).source == "page"  # untouched


def test_ghost_readers_who_had_left_are_skipped(weekly):
    report = run(GHOST, weekly, preset="ghost", mode="confirmed", consent_note="Ghost site")
    assert [s.subscriber.email for s in Subscription.objects.all()] == ["keen@example.org"]
    assert [number for number, _why in report.skipped] == [3]


def test_readers_who_must_opt_in_again_get_a_confirmation_link_by_smtp(
    smtp_inbox,  # noqa: F811
    weekly,
    client,
):
    report = run(SUBSTACK, weekly, preset="substack", mode="opt-in")
    assert report.imported and len(report.to_confirm) == 2
    assert not Subscription.objects.filter(confirmed__isnull=False).exists()
    importing.queue_confirmations(report, "http://testserver")
    messages = smtp_inbox.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["first@example.org", "second@example.org"]
    body = next(m for m in messages if m["To"] == "first@example.org").get_content()
    link = re.search(r"http://testserver(/newsletters/confirm/\S+/)", body).group(1)
    assert client.post(link).status_code == 200
    confirmed = Subscription.objects.get(confirmed__isnull=False)
    assert confirmed.subscriber.email == "first@example.org" and confirmed.source == "import"


def test_one_bad_row_in_a_hundred_names_the_row_and_imports_nothing(weekly):
    lines = ["email"] + [f"reader{n}@example.org" for n in range(99)]
    lines.insert(41, "not-an-address")  # row 42: the header is row 1
    text = "\n".join(lines) + "\n"
    before = state()
    report = run(text, weekly, mode="opt-in")
    assert not report.imported and report.errors == [
        (42, "“not-an-address” is not an e-mail address")
    ]
    assert "Row 42: “not-an-address” is not an e-mail address" in list(report.lines())
    assert state() == before
    report = run(text, weekly, mode="opt-in", valid_rows_only=True)
    assert report.imported and report.added == 99 and Subscriber.objects.count() == 99


def test_the_wrong_encoding_changes_nothing(weekly):
    with pytest.raises(importing.ImportProblem, match="not UTF-8 text .*line 3"):
        run("email\nana@example.org\nzoë@example.org\n", weekly, encoding="latin-1", mode="opt-in")
    assert state() == ([], [])


def test_a_missing_column_is_named_with_the_columns_found(weekly):
    with pytest.raises(importing.ImportProblem) as problem:
        run(GHOST, weekly, preset="mailchimp", mode="opt-in")
    assert "no column “Email Address”" in problem.value.message
    assert "subscribed_to_emails" in problem.value.message
    assert state() == ([], [])


def test_confirmed_without_a_consent_source_is_refused(weekly):
    with pytest.raises(importing.ImportProblem, match="gave their consent"):
        run(SUBSTACK, weekly, mode="confirmed", consent_note="  ")
    assert state() == ([], [])


def test_a_failure_half_way_leaves_nothing_imported(weekly, monkeypatch):
    real = Subscription.objects.get_or_create
    calls = []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise IntegrityError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(Subscription.objects, "get_or_create", failing)
    with pytest.raises(IntegrityError):
        run(SUBSTACK, weekly, mode="confirmed", consent_note="Substack")
    assert state() == ([], [])


def test_a_suppressed_address_is_not_imported_again(weekly):
    Subscriber.objects.create(email="first@example.org", suppressed="complained")
    report = run(SUBSTACK, weekly, mode="confirmed", consent_note="Substack")
    assert [number for number, _why in report.skipped] == [2]
    assert [s.subscriber.email for s in Subscription.objects.all()] == ["second@example.org"]


# --- The admin page and the command --------------------------------------------------


def staff(django_user_model, client, settings, *codenames):
    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    user = django_user_model.objects.create_user(username="ed", password="x")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", *codenames]))
    client.force_login(user)
    return client


def upload(client, text, **fields):
    data = {
        "file": SimpleUploadedFile("list.csv", text.encode(), "text/csv"),
        "preset": "other",
        "mode": "opt-in",
        **fields,
    }
    return client.post("/admin/newsletters/import/", data)


def test_staff_without_the_permission_cannot_import(client, django_user_model, settings, weekly):
    client = staff(django_user_model, client, settings)
    # Wagtail answers a refused admin page with a redirect to the dashboard.
    assert client.get("/admin/newsletters/import/")["Location"] == "/admin/"
    assert upload(client, SUBSTACK, newsletter=weekly.pk)["Location"] == "/admin/"
    assert state() == ([], [])


def test_staff_import_from_the_admin_and_read_the_report(
    client, django_user_model, settings, weekly, mailoutbox
):
    client = staff(django_user_model, client, settings, "import_subscribers")
    page = client.get("/admin/newsletters/import/")
    assert page.status_code == 200 and "Mailchimp" in page.content.decode()
    response = upload(
        client,
        MAILCHIMP,
        newsletter=weekly.pk,
        preset="mailchimp",
        mode="confirmed",
        consent_note="Old site form",
    )
    assert response.status_code == 200
    assert "3 subscriptions added, 1 duplicates merged." in response.content.decode()
    assert Subscription.objects.filter(confirmed__isnull=False).count() == 3
    bad = upload(client, "email\nnope\n", newsletter=weekly.pk)
    assert bad.status_code == 400 and "Row 2:" in bad.content.decode()
    wrong = upload(client, GHOST, newsletter=weekly.pk, preset="mailchimp")
    assert wrong.status_code == 400 and "no column" in wrong.content.decode()
    assert Subscriber.objects.count() == 3


def test_the_command_imports_and_refuses_a_bad_file(tmp_path, weekly):
    good = tmp_path / "ghost.csv"
    good.write_text(GHOST, encoding="utf-8")
    out = StringIO()
    call_command(
        "import_subscribers",
        str(good),
        "--newsletter",
        str(weekly.pk),
        "--preset",
        "ghost",
        "--confirmed",
        "Ghost members",
        stdout=out,
    )
    assert "1 subscriptions added" in out.getvalue()
    assert "Row 3 skipped" in out.getvalue()
    bad = tmp_path / "latin.csv"
    bad.write_bytes("email\nzoë@example.org\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_subscribers", str(bad), "--newsletter", str(weekly.pk), "--opt-in")
    assert Subscriber.objects.count() == 1
