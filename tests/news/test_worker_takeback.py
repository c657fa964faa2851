"""Which tasks of a dead worker run again: only those safe to run twice (news/worker.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from samizdat.news.models import WorkerHeartbeat
from samizdat.news.worker import release_orphans

pytestmark = pytest.mark.django_db


def running_task(path, kwargs=None, worker="gone", minutes=5):
    return DBTaskResult.objects.create(
        status="RUNNING", task_path=path, backend_name="default",
        args_kwargs={"args": [1], "kwargs": kwargs or {}}, worker_ids=[worker],
        run_after=timezone.now(), started_at=timezone.now() - timedelta(minutes=minutes))


def test_a_receipt_is_queued_again_but_a_copy_on_request_or_a_notice_is_failed(settings):
    settings.SAMIZDAT_WORKER_LEASE_SECONDS = 60
    receipt = running_task("samizdat.support.tasks.send_receipt")
    copy = running_task("samizdat.support.tasks.send_receipt", {"again": True})
    notice = running_task("samizdat.support.tasks.send_cancellation")

    assert release_orphans() == {"READY": 1, "FAILED": 2}
    for task in (receipt, copy, notice):
        task.refresh_from_db()
    assert receipt.status == "READY"
    assert (copy.status, notice.status) == ("FAILED", "FAILED")
    assert copy.exception_class_path == "samizdat.news.worker.WorkerLost"
    assert "SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES" in notice.traceback


def test_a_live_workers_long_task_and_a_young_task_are_left_alone(settings):
    settings.SAMIZDAT_WORKER_LEASE_SECONDS = 60
    WorkerHeartbeat.objects.create(worker_id="alive", started_at=timezone.now(),
                                   seen_at=timezone.now())
    long_one = running_task("samizdat.mirrors.tasks.export_and_publish", worker="alive",
                            minutes=30)
    young = running_task("samizdat.mirrors.tasks.export_and_publish", minutes=0)

    assert release_orphans() == {}
    assert {t.status for t in DBTaskResult.objects.filter(pk__in=[long_one.pk, young.pk])} \
        == {"RUNNING"}


def test_a_task_that_took_down_three_workers_is_not_tried_a_fourth_time(settings):
    settings.SAMIZDAT_WORKER_LEASE_SECONDS = 60
    task = running_task("samizdat.mirrors.tasks.export_and_publish")
    task.worker_ids = ["a", "b", "c"]
    task.save()

    assert release_orphans() == {"FAILED": 1}
    task.refresh_from_db()
    assert "not run again after 3 attempts" in task.traceback
