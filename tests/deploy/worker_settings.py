"""Production settings plus the worker probe listed as safe to run twice (for
tests/deploy/test_worker_faults.py: a slow task to kill and see run again)."""

from samizdat.settings import *  # noqa: F403
from samizdat.settings import SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES

SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES = {**SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES,
                                       "samizdat.security.tasks.probe": ()}
