"""Subscriber addresses at rest: encrypted with the donor keys, found by the donor blind
index, and covered by a supporter's data export, "delete everything" and key rotation."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from samizdat.core.crypto import blind_index
from samizdat.newsletters.models import Newsletter, Subscriber, Subscription
from samizdat.support import donordata

pytestmark = pytest.mark.django_db

ADDRESS = "Quiet.Reader@Example.org"


@pytest.fixture
def subscribed():
    weekly = Newsletter.objects.create(name="Weekly digest", cadence="weekly")
    daily = Newsletter.objects.create(name="Morning brief", cadence="daily", language="ru")
    subscriber = Subscriber.objects.create(email=ADDRESS)
    Subscription.objects.create(subscriber=subscriber, newsletter=weekly, source="page")
    Subscription.objects.create(subscriber=subscriber, newsletter=daily, source="footer")
    return subscriber


def raw_subscriber_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM newsletters_subscriber")
        return cursor.fetchall()


def test_the_address_is_stored_only_encrypted(subscribed):
    stored = repr(raw_subscriber_rows()).lower()
    assert "quiet.reader" not in stored and "example.org" not in stored
    assert Subscriber.objects.get().email == ADDRESS


def test_one_subscriber_per_address_whatever_its_case():
    Subscriber.objects.create(email=ADDRESS)
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email=ADDRESS.upper())


def test_the_donor_export_and_summary_include_subscriptions(subscribed):
    index = blind_index(ADDRESS.upper())
    rows = donordata.export(index)["newsletter_subscriptions"]
    assert [(row["newsletter"], row["source"], row["confirmed"]) for row in rows] == [
        ("Morning brief", "footer", None), ("Weekly digest", "page", None)]
    assert donordata.summary(index)["newsletter_subscriptions"] == 2


def test_a_supporters_delete_everything_removes_their_subscriptions(subscribed):
    from samizdat.support.models import Supporter

    Supporter.objects.create(email=ADDRESS)
    other = Subscriber.objects.create(email="someone.else@example.org")
    donordata.erase(blind_index(ADDRESS))
    assert list(Subscriber.objects.all()) == [other]
    assert not Subscription.objects.exists()
    assert Newsletter.objects.count() == 2


def test_key_rotation_re_encrypts_subscriber_addresses(settings):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SAMIZDAT_DONOR_KEYS = [key_a]
    Subscriber.objects.create(email=ADDRESS)
    settings.SAMIZDAT_DONOR_KEYS = [key_b, key_a]
    out = StringIO()
    call_command("rotate_donor_key", stdout=out)
    assert "newsletters.Subscriber.email: 1 checked, 1 re-encrypted" in out.getvalue()
    settings.SAMIZDAT_DONOR_KEYS = [key_b]
    assert Subscriber.objects.get().email == ADDRESS
