"""`manage.py` with the test run's rendition cache (tests/rendition_cache.py).

For tests that run a command in a subprocess (the export of the demo on the command
line): its renditions are then drawn once per test run there too, not again by every
such command (a first export of the demo is 25-50 s with the drawing, 7-10 s without).
The pool of an export forks, so its workers inherit the cache. Without the run's cache
folder in the environment this is plain `manage.py`.

    python tests/manage_cached.py export_site OUT --jobs 2
"""

import os
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # the project, not tests/, first on the path, as for manage.py
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
    import django

    django.setup()
    from tests import rendition_cache

    if os.environ.get(rendition_cache.ENV):
        rendition_cache.install(types.SimpleNamespace(setattr=setattr))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *sys.argv[1:]])
