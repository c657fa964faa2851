"""Export speed: pages/s, peak memory, ratio to sequential test-client rendering,
and how many files an incremental export touches after one edit.

    .venv/bin/python bench/export_bench.py --articles 1000 [--articles 10000] [--jobs 2]

Each size gets its own temporary SQLite database and var folder (load_demo
--articles N). The reference renders the same URLs one after another through
Django's test client, in the same run, without writing files.
"""

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")

REFERENCE = r"""
import gzip, json, sys, time
from django.conf import settings
from django.test import Client
settings.ALLOWED_HOSTS = ["*"]
state = json.load(gzip.open(sys.argv[1], "rt"))
paths = sorted(state["pages"])
client = Client()
start = time.perf_counter()
for path in paths:
    client.cookies.clear()
    from urllib.parse import unquote
    response = client.get(unquote(path), HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200, (path, response.status_code)
    if response.streaming:
        b"".join(response.streaming_content)
print(json.dumps({"urls": len(paths), "seconds": time.perf_counter() - start}))
"""

EDIT = r"""
from samizdat.news.models import ArticlePage
article = ArticlePage.objects.filter(slug__startswith="generated-").order_by("pk").first()
article.title = article.title + " (edited)"
article.save_revision().publish()
print(article.url_path)
"""


def run(args, env, capture=True):
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=capture, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    return done, time.perf_counter() - started


def children_peak_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bench(articles, jobs):
    work = Path(tempfile.mkdtemp(prefix=f"export-bench-{articles}-"))
    env = dict(os.environ, SAMIZDAT_VAR_DIR=str(work / "var"), MEDIA_ROOT=str(work / "media"),
               DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
               SAMIZDAT_MIRROR_SIGNING_KEY_FILE=str(work / "key"), PYTHONHASHSEED="0",
               SAMIZDAT_PAGE_CACHE="0")
    env.pop("SAMIZDAT_MIRROR_SIGNING_KEY", None)
    (work / "var").mkdir()
    manage = [PYTHON, "manage.py"]
    _, setup = run(manage + ["migrate", "-v0"], env)
    _, load = run(manage + ["load_demo", "--articles", str(articles)], env)
    run(manage + ["mirror_keygen"], env)
    out = work / "out"
    # First export creates the image renditions; the measured one finds them made.
    run(manage + ["export_site", str(out), "--jobs", str(jobs), "--no-progress"], env)
    peak_before = children_peak_mb()
    done, seconds = run(manage + ["export_site", str(out), "--force", "--jobs", str(jobs),
                                  "--no-progress"], env)
    export_peak = children_peak_mb()
    state_path = work / ".out.export-state.json.gz"
    state = json.load(gzip.open(state_path, "rt"))
    html = sum(1 for r in state["pages"].values() if r.get("type") == "text/html")
    ref, _ = run(manage + ["shell", "-c", REFERENCE.replace("sys.argv[1]", repr(str(state_path)))],
                 env)
    reference = json.loads(ref.stdout.strip().splitlines()[-1])
    _, _ = run(manage + ["shell", "-c", EDIT], env)
    inc, inc_seconds = run(manage + ["export_site", str(out), "--incremental", "--jobs",
                                     str(jobs), "--no-progress"], env)
    return {
        "articles": articles,
        "jobs": jobs,
        "urls": len(state["pages"]),
        "html_pages": html,
        "export_seconds": round(seconds, 1),
        "export_urls_per_s": round(len(state["pages"]) / seconds, 1),
        "reference_seconds": round(reference["seconds"], 1),
        "reference_urls_per_s": round(reference["urls"] / reference["seconds"], 1),
        "ratio_export_vs_sequential_client": round(reference["seconds"] / seconds, 2),
        "peak_rss_mb_largest_process": round(max(export_peak, peak_before), 1),
        "incremental_seconds": round(inc_seconds, 1),
        "incremental_summary": inc.stdout.strip().splitlines()[-1],
        "load_demo_seconds": round(load, 1),
        "setup_seconds": round(setup, 1),
        "workdir": str(work),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, action="append")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    options = parser.parse_args()
    for articles in options.articles or [1000]:
        print(json.dumps(bench(articles, options.jobs), indent=2), flush=True)


if __name__ == "__main__":
    main()
