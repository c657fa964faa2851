"""Re-export after publishing, in the background and debounced.

A burst of publishing queues one export: the first publish adds a marker to
the cache and queues the task to run after SAMIZDAT_EXPORT_DEBOUNCE_SECONDS;
later publishes see the marker and queue nothing. The task clears the marker
before it starts, so a publish during the export queues the next one.
"""

import datetime
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_tasks import default_task_backend, task

logger = logging.getLogger(__name__)
QUEUED_KEY = "samizdat:mirrors:export-queued"


@task()
def export_and_publish():
    from .export import ExportError, export_site
    from .publish import PublishError, publish

    cache.delete(QUEUED_KEY)
    outdir = settings.SAMIZDAT_EXPORT_DIR
    try:
        summary = export_site(outdir, incremental=True, progress=False)
    except ExportError as exc:
        logger.error("mirror export failed: %s", exc)
        return {"error": str(exc)}
    results = []
    for target in settings.SAMIZDAT_EXPORT_PUBLISH_TARGETS:
        try:
            results.append(str(publish(outdir, target)))
        except PublishError as exc:
            logger.error("publishing the mirror export failed: %s", exc)
            results.append(f"{target}: failed: {exc}")
    return {"written": summary.written, "removed": summary.removed, "published": results}


def request_export():
    """Queue one export unless one is already waiting; returns True when queued."""
    if not getattr(settings, "SAMIZDAT_EXPORT_ON_PUBLISH", False):
        return False
    delay = getattr(settings, "SAMIZDAT_EXPORT_DEBOUNCE_SECONDS", 60)
    if not cache.add(QUEUED_KEY, True, timeout=delay + 3600):
        return False
    job = export_and_publish
    if default_task_backend.supports_defer and delay > 0:
        job = job.using(run_after=timezone.now() + datetime.timedelta(seconds=delay))
    job.enqueue()
    return True
