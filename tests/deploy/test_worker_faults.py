"""The task worker under faults: PostgreSQL restarted under it, and a worker killed mid-task.

Each test drives real `manage.py db_worker` processes against a PostgreSQL
cluster of its own (initdb, a free loopback port: deploy/private_services.py)
that the test stops and restarts; workers are killed with SIGKILL. Before the
fixes, django-tasks-db's worker exited at the first database error but "locked",
and a killed worker's task stayed RUNNING for ever.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, require

pytestmark = pytest.mark.xdist_group("private-postgres")

LEASE = 3  # seconds: short, so the tests do not wait a minute for the take-back


@pytest.fixture(scope="module")
def cluster():
    require("psql")
    from private_services import PrivatePostgres, postgres_bin

    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    pg = PrivatePostgres()
    pg.start()
    subprocess.run(["psql", f"{pg.url}/postgres", "-X", "-q", "-c", "CREATE DATABASE worker"],
                   check=True, capture_output=True, timeout=60)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DATABASE_URL", "TASKS_", "PYTEST", "REDIS_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "samizdat.settings", "DEBUG": "0",
                "DATABASE_URL": f"{pg.url}/worker", "PYTHONDONTWRITEBYTECODE": "1",
                "SAMIZDAT_WORKER_LEASE_SECONDS": str(LEASE), "LOG_LEVEL": "WARNING"})
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=600)
    pg.env = env
    yield pg
    pg.destroy()


class Workers:
    def __init__(self, cluster, tmp_path):
        self.cluster, self.tmp_path, self.procs = cluster, tmp_path, []

    def start(self, name, settings_module="samizdat.settings"):
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop_all
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-reload",
             "--no-startup-delay", "--worker-id", name],
            cwd=ROOT, env=dict(self.cluster.env, DJANGO_SETTINGS_MODULE=settings_module),
            stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def log(self, name):
        return (self.tmp_path / f"{name}.log").read_text()

    def stop_all(self):
        from tests.conftest import stop_processes

        stop_processes(self.procs)


@pytest.fixture
def workers(cluster, tmp_path):
    running = Workers(cluster, tmp_path)
    yield running
    running.stop_all()


def sql(cluster, query):
    out = subprocess.run(["psql", cluster.env["DATABASE_URL"], "-X", "-q", "-t", "-A", "-F",
                          "\t", "-c", query], capture_output=True, text=True, timeout=60)
    if out.returncode:
        return None  # the database is down
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def enqueue(cluster, *tokens, seconds=0.0):
    code = ("from samizdat.security.tasks import probe\n"
            + "".join(f"probe.enqueue({t!r}, {seconds})\n" for t in tokens))
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                   env=cluster.env, check=True, capture_output=True, timeout=120)


def task(cluster, token):
    """(status, exception class, number of workers that took it) of the probe task."""
    rows = sql(cluster, "SELECT status, exception_class_path, jsonb_array_length(worker_ids) "
                        "FROM django_tasks_database_dbtaskresult WHERE "
                        f"args_kwargs->'args'->>0 = '{token}'")
    return tuple(rows[0][:2]) + (int(rows[0][2]),) if rows else None


def runs(cluster, token):
    rows = sql(cluster, f"SELECT worker_pid FROM security_proberun WHERE token = '{token}' "
                        "ORDER BY id")
    return [int(pid) for (pid,) in rows or []]


def eventually(check, what, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still not true after {timeout} s")
        time.sleep(0.2)


def test_the_worker_outlives_a_postgresql_restart_and_runs_what_is_queued_after(
        cluster, workers):
    worker = workers.start("survivor")
    enqueue(cluster, "before-1", "before-2")
    eventually(lambda: len(runs(cluster, "before-1") + runs(cluster, "before-2")) == 2,
               "the tasks queued before the restart")

    cluster.stop()  # every connection is cut; the worker polls a database that is gone
    # It meets the database gone (a fixed 3 s sleep could end before a busy machine
    # scheduled its next poll), and lives on.
    eventually(lambda: worker.poll() is not None or "Database unavailable" in
               workers.log("survivor"), "the worker to meet the database gone")
    assert worker.poll() is None, "the worker exited when PostgreSQL went away:\n" + \
        workers.log("survivor")[-2000:]
    cluster.start()
    enqueue(cluster, "after-1", "after-2")
    eventually(lambda: task(cluster, "after-2") and task(cluster, "after-2")[0] == "SUCCESSFUL",
               "the tasks queued after the restart")
    assert worker.poll() is None
    assert runs(cluster, "after-1") == runs(cluster, "after-2") == [worker.pid]
    assert "Database unavailable" in workers.log("survivor")


def test_a_task_the_database_went_away_under_is_recorded_not_left_running(cluster, workers):
    worker = workers.start("midtask")
    # Long enough that the restart below comes while it sleeps, on a busy machine too.
    enqueue(cluster, "midtask-1", seconds=10)
    eventually(lambda: runs(cluster, "midtask-1"), "the task to start")
    cluster.restart()  # while the task sleeps: its end cannot be written at first
    eventually(lambda: task(cluster, "midtask-1") and task(cluster, "midtask-1")[0] != "RUNNING",
               "the task's end to be recorded")
    # Its end could not be written on the broken connection; once reconnected, the
    # worker records it: failed, as the probe is not listed as safe to run twice.
    assert task(cluster, "midtask-1") == ("FAILED", "samizdat.news.worker.WorkerLost", 1)
    assert runs(cluster, "midtask-1") == [worker.pid]
    assert worker.poll() is None


def test_a_killed_workers_task_is_failed_when_running_it_twice_is_not_safe(cluster, workers):
    first = workers.start("doomed")
    enqueue(cluster, "lost-1", seconds=60)
    eventually(lambda: runs(cluster, "lost-1"), "the task to start")
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    assert task(cluster, "lost-1")[0] == "RUNNING"

    workers.start("heir")  # what systemd's Restart=always starts a moment later
    status, exception, attempts = eventually(
        lambda: task(cluster, "lost-1")[0] != "RUNNING" and task(cluster, "lost-1"),
        "the dead worker's task to be taken back")
    assert (status, exception, attempts) == ("FAILED", "samizdat.news.worker.WorkerLost", 1)
    assert len(runs(cluster, "lost-1")) == 1  # not run a second time


def test_a_killed_workers_task_runs_again_when_it_is_safe_to(cluster, workers):
    rerun_settings = "tests.deploy.worker_settings"  # lists the probe as safe to run twice
    first = workers.start("doomed2", rerun_settings)
    # Long enough that the kill below comes while it runs, on a busy machine too.
    enqueue(cluster, "again-1", seconds=8)
    eventually(lambda: runs(cluster, "again-1"), "the task to start")
    first.send_signal(signal.SIGKILL)
    first.wait(30)

    heir = workers.start("heir2", rerun_settings)
    eventually(lambda: task(cluster, "again-1")[0] == "SUCCESSFUL",
               "the dead worker's task to run again")
    assert runs(cluster, "again-1") == [first.pid, heir.pid]
    assert task(cluster, "again-1")[2] == 2  # two workers took it, in turn


def test_run_periodic_outlives_a_postgresql_restart(cluster, tmp_path):
    log_path = tmp_path / "periodic.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "manage.py", "run_periodic"], cwd=ROOT,
                                env=cluster.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: sql(cluster, "SELECT 1 FROM news_periodicjobrun WHERE "
                                        "name = 'publish_scheduled'"), "the first claims")
        cluster.stop()
        # Its next loop (every 5 s) meets the database gone; it lives on.
        eventually(lambda: proc.poll() is not None or "database unavailable" in
                   log_path.read_text(), "run_periodic to meet the database gone")
        assert proc.poll() is None, log_path.read_text()[-2000:]
        cluster.start()
        # A job row removed now comes back only if the loop claims jobs again.
        sql(cluster, "DELETE FROM news_periodicjobrun WHERE name = 'publish_scheduled'")
        eventually(lambda: sql(cluster, "SELECT 1 FROM news_periodicjobrun WHERE "
                                        "name = 'publish_scheduled'"), "claims after restart")
        assert proc.poll() is None
        assert "database unavailable" in log_path.read_text()
    finally:
        proc.terminate()
        proc.wait(20)
