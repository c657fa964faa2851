"""Shared by bench/load_mixed.py and bench/faults_postgres.py: start the
production set-up (deploy/smoke_stack.py), list reader URLs, run wrk."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT / "deploy"))

import smoke_stack  # noqa: E402, F401 - re-exported for the bench scripts

CSRF = "benchBENCHbenchBENCHbenchBENCH42"  # the same pair load_mixed.lua sends
BENCH_ENV = {"DJANGO_SETTINGS_MODULE": "bench.load_settings"}


def shell_json(stack, code, timeout=120):
    """Run CODE in the stack's `manage.py shell`; its last printed line, read as JSON."""
    return json.loads(stack.shell(code, timeout=timeout).strip().splitlines()[-1])


def reader_urls(stack):
    """Homes and every live article, both languages."""
    return shell_json(stack,
        "import json\n"
        "from wagtail.models import Page\n"
        "from samizdat.news.models import ArticlePage, HomePage\n"
        "pages = list(HomePage.objects.live()) + list(ArticlePage.objects.live())\n"
        "print(json.dumps([p.get_url_parts()[2] for p in pages]))")


def contribution_count(stack):
    out = stack.shell("from samizdat.support.models import Contribution\n"
                      "print(Contribution.objects.count())")
    return int(out.strip().splitlines()[-1])


def check_ledger(stack):
    result = stack.manage("check_ledger", check=False)
    return {"exit": result.returncode, "output": (result.stdout + result.stderr).strip()[-500:]}


def run_wrk(stack, urls, seconds, threads=2, connections=32, start_percent=5):
    url_file = Path(tempfile.mkstemp(prefix="load-urls-", suffix=".txt")[1])
    url_file.write_text("\n".join(urls) + "\n")
    env = dict(os.environ, LOAD_URLS=str(url_file), LOAD_ORIGIN=stack.public_origin,
               LOAD_START_PERCENT=str(start_percent))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "--latency", "-s", str(BENCH / "load_mixed.lua"), stack.public_origin + "/"]
    result = subprocess.run(command, env=env, capture_output=True, text=True,
                            timeout=seconds + 120)
    url_file.unlink()
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {result.stdout}\n{result.stderr}")
    summary = json.loads(line[5:])
    summary["command"] = " ".join(command)
    return summary


def serial_start_ms(stack, samples=10):
    """Median time of one contribution start through nginx with nothing else running."""
    import http.client
    import ssl
    import statistics
    import time

    body = f"frequency=once&currency=USD&amount=10&method=demo&csrfmiddlewaretoken={CSRF}"
    headers = {"Host": f"{stack.host}:{stack.ports.https}", "Origin": stack.public_origin,
               "Sec-Fetch-Site": "same-origin", "Cookie": f"csrftoken={CSRF}",
               "Content-Type": "application/x-www-form-urlencoded"}
    times = []
    for _ in range(samples):
        conn = http.client.HTTPSConnection("127.0.0.1", stack.ports.https, timeout=30,
                                           context=ssl._create_unverified_context())
        began = time.perf_counter()
        conn.request("POST", "/support/", body=body, headers=headers)
        status = conn.getresponse().status
        times.append((time.perf_counter() - began) * 1000)
        conn.close()
        if status != 302:
            raise RuntimeError(f"contribution start answered {status}")
    return round(statistics.median(times), 1)


def save(name, record):
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    history = json.loads(path.read_text()) if path.exists() else []
    history.append(record)
    path.write_text(json.dumps(history, indent=2) + "\n")
    return path
