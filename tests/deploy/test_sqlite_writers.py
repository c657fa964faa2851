"""The demo's processes (web, task worker, run_periodic) share one SQLite file.

A write must wait for another writer, not fail with "database is locked": the
demo's worker lost reference-index jobs that way while load_demo's backlog ran.
"""

import threading
import time

import pytest
from django.db import connection, transaction
from taggit.models import Tag


@pytest.mark.django_db(transaction=True)
def test_writers_that_read_first_wait_for_each_other_instead_of_failing():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite locking; PostgreSQL locks rows")
    errors, start = [], threading.Barrier(3)

    def writer(name):
        try:
            start.wait()
            for i in range(15):
                with transaction.atomic():
                    Tag.objects.count()  # a read first, as most jobs do
                    time.sleep(0.002)
                    Tag.objects.create(name=f"{name}-{i}", slug=f"{name}-{i}")
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("web", "worker", "periodic")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Tag.objects.count() == 45
