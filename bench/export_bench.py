"""Export speed: pages/s and peak memory of the export as it is and of the same export
rendered through Django's test client (`--test-client`, how it rendered before), the
ratio to sequential test-client rendering, and how many files an incremental export
touches after one edit.

    .venv/bin/python bench/export_bench.py --articles 1000 [--articles 10000] [--jobs 2]

Each size gets its own temporary SQLite database and var folder (load_demo
--articles N). The reference renders the same URLs one after another through
Django's test client, in the same run, without writing files.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load_common import save

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


# Runs a command and prints the peak resident memory of the largest process
# it started (itself or a worker), so each step's peak is its own.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print('PEAK_MB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
    "file=sys.stderr); sys.exit(code)"
)


def measured(args, env):
    """Run ARGS; return (completed process, seconds, peak RSS in MB of its largest process)."""
    done, seconds = run([sys.executable, "-c", PEAK, *args], env)
    peak = float(done.stderr.strip().splitlines()[-1].split()[-1])
    return done, seconds, peak


def measured_tree(args, env):
    """Run ARGS; (completed process, seconds, peak of the RSS summed over its whole
    process tree, sampled every 0.2 s: parent and workers at once), as bench/speed.py
    measures it."""
    from speed import run_measured

    try:
        seconds, peak, out = run_measured(args, env)
    except RuntimeError as error:
        sys.exit(str(error))
    return subprocess.CompletedProcess(args, 0, out, ""), seconds, peak


def bench(articles, jobs):
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix=f"export-bench-{articles}-"))
    env = dict(os.environ, SAMIZDAT_VAR_DIR=str(work / "var"), MEDIA_ROOT=str(work / "media"),
               DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
               SAMIZDAT_MIRROR_SIGNING_KEY_FILE=str(work / "key"), PYTHONHASHSEED="0",
               SAMIZDAT_PAGE_CACHE="0")
    env.pop("SAMIZDAT_MIRROR_SIGNING_KEY", None)
    (work / "var").mkdir()
    manage = [PYTHON, "manage.py"]
    _, setup = run(manage + ["migrate", "-v0"], env)
    _, load, load_peak = measured(manage + ["load_demo", "--articles", str(articles)], env)
    run(manage + ["mirror_keygen"], env)
    out = work / "out"
    # First export creates the image renditions; the measured one finds them made.
    run(manage + ["export_site", str(out), "--jobs", str(jobs), "--no-progress"], env)
    # The same export through Django's test client (how exports rendered before
    # DirectHandler and the bulk loaders), then the export as it is, in the same run.
    _, client_seconds, client_peak = measured(
        manage + ["export_site", str(out), "--force", "--jobs", str(jobs), "--no-progress",
                  "--test-client"], env)
    _, seconds, export_peak = measured(manage + ["export_site", str(out), "--force", "--jobs",
                                                 str(jobs), "--no-progress"], env)
    # Again, with the memory of parent and workers summed (what the goal counts).
    _, tree_seconds, tree_peak = measured_tree(
        manage + ["export_site", str(out), "--force", "--jobs", str(jobs), "--no-progress"], env)
    state_path = work / ".out.export-state.json.gz"
    state = json.load(gzip.open(state_path, "rt"))
    html = sum(1 for r in state["pages"].values() if r.get("type") == "text/html")
    reference_code = REFERENCE.replace("sys.argv[1]", repr(str(state_path)))
    ref, _, ref_peak = measured(manage + ["shell", "-c", reference_code], env)
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
        "export_peak_rss_mb_largest_process": round(export_peak, 1),
        "export_peak_rss_mb_process_tree": round(tree_peak, 1),
        "export_seconds_tree_run": round(tree_seconds, 1),
        "test_client_export_seconds": round(client_seconds, 1),
        "test_client_export_urls_per_s": round(len(state["pages"]) / client_seconds, 1),
        "test_client_export_peak_rss_mb": round(client_peak, 1),
        "speedup_vs_test_client_export": round(client_seconds / seconds, 2),
        "reference_peak_rss_mb": round(ref_peak, 1),
        "load_demo_peak_rss_mb": round(load_peak, 1),
        "incremental_seconds": round(inc_seconds, 1),
        "incremental_summary": inc.stdout.strip().splitlines()[-1],
        "load_demo_seconds": round(load, 1),
        "setup_seconds": round(setup, 1),
        "workdir": str(work),
        "when": started,
        "load_average_before": load_before,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, action="append")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    options = parser.parse_args()
    for articles in options.articles or [1000]:
        record = bench(articles, options.jobs)
        print(json.dumps(record, indent=2), flush=True)
        save("export_bench", record)


if __name__ == "__main__":
    main()
