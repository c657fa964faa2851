"""`run_periodic --once` from cron every minute runs each job at its own interval."""

import datetime
import threading

import pytest
import time_machine
from django.core.management import call_command

from samizdat.core.models import PeriodicJobRun
from samizdat.core.periodic import claim

JOBS = [("publish_scheduled", 60), ("check_ledger", 3600)]
START = datetime.datetime(2026, 3, 2, 9, 0, 0, tzinfo=datetime.UTC)


def runs():
    return dict(PeriodicJobRun.objects.values_list("name", "runs"))


@pytest.mark.django_db
def test_cron_every_minute_runs_the_hourly_job_hourly(settings):
    settings.SAMIZDAT_PERIODIC_JOBS = JOBS
    with time_machine.travel(START, tick=False) as clock:
        for _minute in range(61):  # cron ticks at 9:00, 9:01 … 10:00
            call_command("run_periodic", once=True)
            clock.shift(datetime.timedelta(minutes=1))
    assert runs() == {"publish_scheduled": 61, "check_ledger": 2}


@pytest.mark.django_db
def test_a_tick_a_little_early_still_counts_but_a_second_runner_does_not():
    assert claim("check_ledger", 3600, now=START)
    assert not claim("check_ledger", 3600, now=START)  # another host, same tick
    assert not claim("check_ledger", 3600, now=START + datetime.timedelta(minutes=30))
    assert claim("check_ledger", 3600, now=START + datetime.timedelta(seconds=3598))
    assert runs() == {"check_ledger": 2}


@pytest.mark.django_db(transaction=True)
def test_two_processes_claiming_at_once_run_the_job_once():
    PeriodicJobRun.objects.create(name="apply_retention")
    results, barrier = [], threading.Barrier(4)

    def runner():
        from django.db import connection

        barrier.wait()
        try:
            results.append(claim("apply_retention", 86400, now=START))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert runs() == {"apply_retention": 1}
