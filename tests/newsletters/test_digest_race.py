"""Two workers racing on the same digest period create one issue (PostgreSQL, real
threads, each with its own connection): both pass the "exists?" check, both INSERT,
and the unique constraint lets exactly one win."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from samizdat.newsletters import digests
from samizdat.newsletters.models import Issue, Newsletter
from tests.news.discovery_factories import author, newsroom, publish_article, section

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
RIGA = ZoneInfo("Europe/Riga")
THREADS = 4


def test_racing_workers_create_one_digest(monkeypatch):
    newsroom()
    publish_article(section(), "Only story", authors=[author("ana", "Ana")],
                    published_at=datetime.datetime(2026, 6, 10, 5, 0, tzinfo=RIGA))
    brief = Newsletter.objects.create(name="Brief", cadence="daily", language="en",
                                      digest_time=datetime.time(7, 0),
                                      time_zone="Europe/Riga")
    # Every worker waits here, after its "exists?" check and before its INSERT.
    past_the_check = threading.Barrier(THREADS, timeout=10)
    articles_between = digests.articles_between

    def held(*args):
        found = articles_between(*args)
        past_the_check.wait()
        return found

    monkeypatch.setattr(digests, "articles_between", held)
    made, errors = [], []

    def worker():
        try:
            made.append(digests.create_digest(Newsletter.objects.get(pk=brief.pk)))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(datetime.datetime(2026, 6, 10, 7, 1, tzinfo=RIGA), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len([issue for issue in made if issue is not None]) == 1
    assert Issue.objects.filter(newsletter=brief).count() == 1
