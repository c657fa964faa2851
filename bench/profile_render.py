"""Render one page again and again in this process, for a profiler to watch.

    py-spy record --format raw -o /tmp/render.txt -- \
        .venv/bin/python bench/profile_render.py /news/river-port-strike-enters-third-week/ 200
    .venv/bin/python bench/profile_render.py --summary /tmp/render.txt

Same environment as bench/render_cpu.py (page cache off, the var folder or database
to measure); --summary prints the functions with the largest inclusive share.
"""

import collections
import os
import sys


def render(path, times):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
    os.environ["SAMIZDAT_PAGE_CACHE"] = "0"
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.test import Client

    client = Client()
    for _ in range(times):
        assert client.get(path, HTTP_HOST="127.0.0.1").status_code == 200


def summary(raw_path, top=25):
    """Inclusive share of samples per function (each counted once per stack)."""
    inclusive, total = collections.Counter(), 0
    with open(raw_path) as handle:
        for line in handle:
            stack, _, count = line.rstrip().rpartition(" ")
            total += int(count)
            for name in {frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0]
                         for frame in stack.split(";")}:
                inclusive[name] += int(count)
    for name, count in inclusive.most_common(top):
        print(f"{100 * count / total:5.1f} %  {name})")


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        summary(sys.argv[2])
    else:
        render(sys.argv[1], int(sys.argv[2]))
