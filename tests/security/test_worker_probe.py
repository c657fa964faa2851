"""`manage.py check_worker`: an operator's proof that a task worker runs jobs."""

import pytest
from django.core.management import CommandError, call_command

from samizdat.security.models import ProbeRun


@pytest.mark.django_db
def test_check_worker_reports_a_worker_that_ran_the_probe(capsys):
    call_command("check_worker", timeout=5)
    assert "worker ok" in capsys.readouterr().out
    assert not ProbeRun.objects.exists()  # the probe cleans up after itself


@pytest.mark.django_db
def test_check_worker_fails_clearly_when_no_worker_runs_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with pytest.raises(CommandError, match="no worker ran the probe task"):
        call_command("check_worker", timeout=0.3)


@pytest.mark.django_db
def test_check_worker_refuses_a_nonsense_timeout():
    with pytest.raises(CommandError, match="--timeout must be positive"):
        call_command("check_worker", timeout=0)
    assert not ProbeRun.objects.exists()
