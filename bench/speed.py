"""The speed table in one run (`make bench`): ratios measured side by side.

1. **Pages** on the production set-up (deploy/smoke_stack.py: nginx with the deploy
   config and its micro-cache, two gunicorn processes from deploy/gunicorn.conf.py,
   PostgreSQL, Redis; plus a third gunicorn with the page cache off), for an article
   and the home page, wrk alternating four targets, each for WRK_SECONDS:
   nginx serving the same page as a static file, the app uncached, the app's in-app
   cache hit (straight to gunicorn), the nginx micro-cache. Ratios are to the
   nginx static runs of the same page in the same run.
2. **Queries and CPU** per render on that PostgreSQL database (bench/render_cpu.py),
   with a flat reference template rendered in the same process.
3. **Lighthouse** mobile (npm lighthouse, bench/lighthouse/, Debian's chromium
   headless) for the article and home on the same set-up.
4. **Sizes** (SQLite, one fresh database each, `load_demo --articles N`, which writes
   the generated articles in bulk: 10,000 in about a minute and a half): queries and
   CPU per render at each size, and at the export sizes `export_site --jobs 2` URLs/s
   and peak memory (largest sums of RSS and of PSS over the export's process tree, sampled).
   With --sizes-postgres the query sizes again on PostgreSQL.

    .venv/bin/python bench/speed.py [--sizes 100,1000] [--export-sizes 1000] [--sizes-postgres]

Everything listens on 127.0.0.1 (ports 9300-9309 by default); results go to
bench/results/speed-<UTC time>.md and .json. Nothing here asserts a time.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
sys.path.insert(0, str(ROOT / "deploy"))

import smoke_stack  # noqa: E402

PAGES = {"article": "/news/river-port-strike-enters-third-week/", "home": "/"}
TARGETS = ("nginx static", "app uncached", "app in-app hit", "nginx micro-cache")
LIGHTHOUSE = BENCH / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def say(text):
    print(text, flush=True)


# --- wrk ---------------------------------------------------------------------------
def wrk(url, seconds, connections, headers=()):
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 60)
    row = parse_wrk(out.stdout)
    if not row["rps"]:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    return row


def parse_wrk(text):
    """req/s, median and 99th percentile latency, and any errors, from wrk --latency."""
    row = {"rps": 0.0, "p50": "", "p99": "", "errors": ""}
    for line in text.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            row["rps"] = float(parts[1])
        elif parts[:1] == ["50%"]:
            row["p50"] = parts[1]
        elif parts[:1] == ["99%"]:
            row["p99"] = parts[1]
        elif "Non-2xx" in line or "Socket errors" in line:
            row["errors"] += line.strip() + "; "
    return row


def page_targets(stack, uncached_port):
    """target name -> (URL template with {path}, headers) for wrk."""
    host = f"Host: {stack.host}:{stack.ports.https}"
    forwarded = [host, "X-Forwarded-Proto: https", "X-Real-IP: 127.0.0.1"]
    nginx = f"https://127.0.0.1:{stack.ports.https}"
    return {
        "nginx static": (nginx + "/static/bench-copy/{name}.html", [host]),
        "app uncached": (f"http://127.0.0.1:{uncached_port}{{path}}", forwarded),
        "app in-app hit": (f"http://127.0.0.1:{stack.ports.app_a}{{path}}", forwarded),
        "nginx micro-cache": (nginx + "{path}", [host]),
    }


def save_static_copies(stack, uncached_port):
    """Each page exactly as the app serves it, as a file nginx serves from /static/."""
    folder = Path(stack.env["STATIC_ROOT"]) / "bench-copy"
    folder.mkdir(exist_ok=True)
    sizes = {}
    for name, path in PAGES.items():
        status, _headers, body = stack.get_direct(uncached_port, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        (folder / f"{name}.html").write_bytes(body)
        sizes[name] = len(body)
    return sizes


def check_targets(stack, targets):
    """Each target answers 200 and the cache targets really are cache hits."""
    import http.client
    import ssl

    notes = {}
    for name, path in PAGES.items():
        for target, (template, headers) in targets.items():
            url = template.format(path=path, name=name)
            scheme, rest = url.split("://", 1)
            hostport, _, tail = rest.partition("/")
            host, port = hostport.split(":")
            hdrs = dict(h.split(": ", 1) for h in headers)
            for _ in range(2):  # the second answer is the steady state (cached)
                if scheme == "https":
                    conn = http.client.HTTPSConnection(
                        host, int(port), timeout=60, context=ssl._create_unverified_context())
                else:
                    conn = http.client.HTTPConnection(host, int(port), timeout=60)
                conn.request("GET", "/" + tail, headers=hdrs)
                response = conn.getresponse()
                response.read()
                conn.close()
            if response.status != 200:
                raise RuntimeError(f"{target} {url} answered {response.status}")
            notes[(name, target)] = {"X-Cache": response.getheader("X-Cache"),
                                     "X-Page-Cache": response.getheader("X-Page-Cache")}
    return notes


def measure_pages(stack, uncached_port, seconds, rounds, connections):
    targets = page_targets(stack, uncached_port)
    notes = check_targets(stack, targets)
    runs = []
    for round_number in range(1, rounds + 1):
        for name, path in PAGES.items():
            for target in TARGETS:
                template, headers = targets[target]
                url = template.format(path=path, name=name)
                load = loadavg()
                row = wrk(url, seconds, connections, headers)
                row.update(page=name, target=target, round=round_number, load=load)
                runs.append(row)
                say(f"   {name:7} {target:18} {row['rps']:>10,.1f} req/s  p50 {row['p50']:>8}"
                    f"  p99 {row['p99']:>8}  load {load}  {row['errors']}")
    summary = []
    for name in PAGES:
        static = statistics.median(r["rps"] for r in runs
                                   if r["page"] == name and r["target"] == "nginx static")
        for target in TARGETS:
            values = [r["rps"] for r in runs if r["page"] == name and r["target"] == target]
            median = statistics.median(values)
            summary.append({"page": name, "target": target, "rps_median": round(median, 1),
                            "rps_runs": values, "ratio_to_static": median / static,
                            "headers": notes[(name, target)]})
    return runs, summary


# --- Lighthouse ------------------------------------------------------------------------
def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def lighthouse(stack, work):
    if not LIGHTHOUSE.exists():
        return {"skipped": "bench/lighthouse not installed (cd bench/lighthouse && npm ci)"}
    chrome = chromium()
    if chrome is None:
        return {"skipped": "no chromium (apt-get install -y chromium)"}
    scores = {}
    for name, path in PAGES.items():
        report = work / f"lighthouse-{name}.json"
        # localhost: the certificate's name; Chromium resolves it to 127.0.0.1 itself.
        url = f"{stack.public_origin}{path}"
        flags = ("--headless=new --no-sandbox --ignore-certificate-errors --disable-gpu "
                 f"--user-data-dir={work / ('chrome-' + name)}")
        for _attempt in range(3):  # a loaded machine sometimes loses the trace (NO_NAVSTART)
            report.unlink(missing_ok=True)
            done = run_lighthouse(url, report, flags, chrome)
            if done.returncode == 0 and report.exists():
                break
        if done.returncode or not report.exists():
            scores[name] = {"error": (done.stderr or done.stdout)[-500:]}
            continue
        data = json.loads(report.read_text())
        scores[name] = lighthouse_scores(data)
    return scores


def run_lighthouse(url, report, flags, chrome):
    return subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
         f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile",
         f"--chrome-flags={flags}", "--max-wait-for-load=60000"],
        env=dict(os.environ, CHROME_PATH=chrome), capture_output=True, text=True, timeout=300)


def lighthouse_scores(data):
    """The four category scores, the weighted audits below full marks, the bytes moved."""
    scores = {c: round(100 * (data["categories"][c]["score"] or 0)) for c in CATEGORIES}
    failing = {}
    for category in CATEGORIES:
        for ref in data["categories"][category]["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                failing.setdefault(category, []).append(ref["id"])
    scores["below_full"] = failing
    scores["total_bytes"] = data["audits"].get("total-byte-weight", {}).get("numericValue")
    scores["lighthouse"] = data.get("lighthouseVersion")
    return scores


# --- the production set-up -------------------------------------------------------------
def start_uncached_app(stack, port):
    env = dict(stack.env, SAMIZDAT_PAGE_CACHE="0", SAMIZDAT_BIND=f"127.0.0.1:{port}",
               WEB_CONCURRENCY="2", GUNICORN_PROC_NAME="samizdat-bench-uncached")
    stack._spawn("app_uncached", [smoke_stack.GUNICORN, "-c",
                                  str(smoke_stack.DEPLOY / "gunicorn.conf.py")], env)
    smoke_stack.wait_for(lambda: stack.get_direct(port, "/privacy/")[0] == 200,
                         f"uncached app on {port}")


def production(options, record):
    base = options.port
    ports = smoke_stack.Ports(https=base, http=base + 1, purge=base + 2, app_a=base + 3,
                              app_b=base + 4)
    uncached_port = base + 5
    say(f"== production set-up on 127.0.0.1:{base}-{uncached_port} "
        f"(PostgreSQL database {options.database}, {options.redis_url}), "
        f"demo + {options.stack_articles} articles; load {loadavg()}")
    began = time.monotonic()
    stack = smoke_stack.start(ports=ports, database=options.database,
                              postgres_url=options.postgres_url, redis_url=options.redis_url,
                              articles=options.stack_articles, microcache_seconds="10")
    record["stack_seconds_to_start"] = round(time.monotonic() - began)
    work = Path(tempfile.mkdtemp(prefix="samizdat-speed-"))
    try:
        start_uncached_app(stack, uncached_port)
        record["page_bytes"] = save_static_copies(stack, uncached_port)
        if options.wrk:
            say(f"== pages: wrk -t2 -c{options.connections} -d{options.seconds}s, "
                f"{options.rounds} rounds alternating {', '.join(TARGETS)}")
            runs, summary = measure_pages(stack, uncached_port, options.seconds, options.rounds,
                                          options.connections)
            record["page_runs"], record["pages"] = runs, summary
        say(f"== queries and CPU per render on PostgreSQL; load {loadavg()}")
        cpu = subprocess.run([PYTHON, str(BENCH / "render_cpu.py")], cwd=ROOT,
                             env=dict(stack.env, BENCH_HOST=f"localhost:{ports.https}"),
                             capture_output=True, text=True, timeout=600)
        if cpu.returncode:
            raise RuntimeError(cpu.stderr[-3000:])
        record["postgres_render"] = json.loads(cpu.stdout.strip().splitlines()[-1])
        record["postgres_render"]["load"] = loadavg()
        say(f"   {record['postgres_render']}")
        if options.lighthouse:
            say(f"== Lighthouse mobile; load {loadavg()}")
            record["lighthouse"] = lighthouse(stack, work)
            record["lighthouse_load"] = loadavg()
            say(f"   {json.dumps(record['lighthouse'])}")
    finally:
        smoke_stack.teardown(stack)
        shutil.rmtree(work, ignore_errors=True)


# --- archive sizes: queries, CPU, export --------------------------------------------------
def tree_pids(root_pid):
    """ROOT_PID and all its descendants, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    pids, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(children.get(pid, []))
    return pids


def tree_memory_mb(root_pid):
    """{"rss", "pss"} in MB summed over ROOT_PID and its descendants. RSS counts a page
    shared by a forked worker and its parent once in each; PSS (proportional set size,
    /proc/<pid>/smaps_rollup) splits it between them, so its sum is the memory the tree
    really takes."""
    rss = pss = 0
    for pid in tree_pids(root_pid):
        try:
            with open(f"/proc/{pid}/statm") as handle:
                rss += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            continue
    return {"rss": rss / 2**20, "pss": pss / 2**20}


def run_measured_tree(args, env):
    """Run ARGS; (seconds, {"rss", "pss"}: the peak of each summed over the whole process
    tree, sampled every 0.2 s, output)."""
    began = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = {"rss": 0.0, "pss": 0.0}

    def sample():
        while proc.poll() is None:
            now = tree_memory_mb(proc.pid)
            for key in peak:
                peak[key] = max(peak[key], now[key])
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise RuntimeError(f"failed: {' '.join(args)}\n{out[-2000:]}\n{err[-3000:]}")
    return time.perf_counter() - began, peak, out


def run_measured(args, env):
    """Run ARGS; (seconds, peak MB of the whole process tree's summed RSS, output)."""
    seconds, peak, out = run_measured_tree(args, env)
    return seconds, peak["rss"], out


def export_urls(state_path):
    """URLs the export rendered or copied, from its state file (as bench/export_bench.py
    counts them); None when the state file is not there."""
    import gzip

    try:
        return len(json.load(gzip.open(state_path, "rt"))["pages"])
    except (OSError, ValueError, KeyError):
        return None


def size_run(articles, export, jobs, postgres=None):
    """One fresh database with the demo and ARTICLES generated articles (written in
    bulk: news/demo_generated.py), its queries and CPU per render, and optionally an
    export. SQLite in a temporary folder, or with POSTGRES=(admin URL, database name)
    a PostgreSQL database made for it and dropped after."""
    work = Path(tempfile.mkdtemp(prefix=f"samizdat-speed-{articles}-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SAMIZDAT_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))}
    if postgres:
        admin_url, name = postgres
        smoke_stack.recreate_database(admin_url, name)
        database_url = f"{admin_url.rstrip('/')}/{name}"
    else:
        database_url = f"sqlite:///{work / 'db.sqlite3'}"
    env.update(SAMIZDAT_VAR_DIR=str(work / "var"), MEDIA_ROOT=str(work / "media"),
               DATABASE_URL=database_url, DEBUG="0", LOG_LEVEL="ERROR",
               SECRET_KEY="bench-only-not-a-secret-0123456789abcdef",
               ALLOWED_HOSTS="127.0.0.1,localhost", PYTHONHASHSEED="0",
               SAMIZDAT_MIRROR_SIGNING_KEY_FILE=str(work / "key"), SAMIZDAT_PAGE_CACHE="0")
    (work / "var").mkdir()
    manage = [PYTHON, "manage.py"]
    row = {"articles": articles, "database": "postgresql" if postgres else "sqlite",
           "load_before": loadavg()}
    try:
        subprocess.run(manage + ["migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
        began = time.perf_counter()
        subprocess.run(manage + ["load_demo", "--articles", str(articles)], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        row["load_demo_seconds"] = round(time.perf_counter() - began)
        cpu = subprocess.run([PYTHON, str(BENCH / "render_cpu.py")], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        row["render"] = json.loads(cpu.stdout.strip().splitlines()[-1])
        row["render_load"] = loadavg()
        say(f"   {articles} articles: {row['render']} (load {row['render_load']})")
        if export:
            subprocess.run(manage + ["mirror_keygen"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            out = work / "out"
            # The first export makes the image renditions; the measured one finds them.
            first, first_peak, _ = run_measured_tree(
                manage + ["export_site", str(out), "--jobs", str(jobs), "--no-progress"], env)
            row["export_load"] = loadavg()
            seconds, peak, _ = run_measured_tree(
                manage + ["export_site", str(out), "--force", "--jobs", str(jobs),
                          "--no-progress"], env)
            files = sum(1 for p in out.rglob("*") if p.is_file())
            urls = export_urls(work / ".out.export-state.json.gz") or files
            row["export"] = {"jobs": jobs, "urls": urls, "files": files,
                             "seconds": round(seconds, 1),
                             "urls_per_s": round(urls / seconds, 1),
                             "peak_tree_rss_mb": round(peak["rss"]),
                             "peak_tree_pss_mb": round(peak["pss"]),
                             "first_seconds": round(first, 1),
                             "first_peak_tree_rss_mb": round(first_peak["rss"]),
                             "first_peak_tree_pss_mb": round(first_peak["pss"])}
            say(f"   export at {articles}: {row['export']} (load {row['export_load']})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if postgres:
            smoke_stack.drop_database(*postgres)
    return row


# --- the table -----------------------------------------------------------------------------
def pct(value):
    return f"{value * 100:.3g} %" if value < 0.995 else f"{value * 100:.0f} %"


def table(record):
    lines = [f"# Speed, {record['when']}", "",
             f"- machine: {record['machine']}; load average before: {record['load_before']}, "
             f"after: {record.get('load_after', '?')}",
             f"- software: {record['software']}",
             f"- command: `{record['command']}`", ""]
    if "pages" in record:
        lines += [f"## Pages on the production set-up (demo + {record['stack_articles']} "
                  f"articles, PostgreSQL, Redis, nginx deploy config over TLS)", "",
                  f"wrk `-t2 -c{record['connections']} -d{record['seconds']}s`, "
                  f"{record['rounds']} rounds, targets alternating; median req/s; ratio to nginx "
                  f"serving the same page as a static file in the same run. Page sizes: "
                  + ", ".join(f"{k} {v:,} B" for k, v in record["page_bytes"].items()) + ".", "",
                  "| page | target | req/s (median) | runs | ratio to nginx static |",
                  "|---|---|---|---|---|"]
        for row in record["pages"]:
            runs = ", ".join(f"{v:,.1f}" for v in row["rps_runs"])
            lines.append(f"| {row['page']} | {row['target']} | {row['rps_median']:,.1f} | {runs} "
                         f"| {pct(row['ratio_to_static'])} |")
        lines += ["", "Load average at the start of each wrk run: "
                  + "; ".join(f"{r['page']}/{r['target']} r{r['round']}: {r['load'].split()[0]}"
                              for r in record["page_runs"]), ""]
    if "postgres_render" in record:
        r = record["postgres_render"]
        lines += ["## Per render on PostgreSQL (same set-up, page cache off, in-process)", "",
                  "| articles | article | section | home | tag | author | article CPU | flat "
                  "reference CPU | article / flat |", "|---|---|---|---|---|---|---|---|---|",
                  render_row(r), ""]
    if record.get("sizes"):
        lines += ["## Per archive size (fresh database each, page cache off)", "",
                  "Queries per render (SQL ms in brackets); CPU per render in one process; "
                  "seconds to build the database with `load_demo --articles N`.", "",
                  "| database | articles | article | section | home | tag | author | article CPU "
                  "| flat reference CPU | article / flat | load_demo | load |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {s.get('database', 'sqlite')} {render_row(s['render'])} "
                  f"{s.get('load_demo_seconds', '?')} s | {s.get('render_load', '?').split()[0]} |"
                  for s in record["sizes"]]
        exports = [s for s in record["sizes"] if "export" in s]
        if exports:
            lines += ["", "| articles | URLs (files written) | `export_site --jobs 2` (second "
                      "run) | URLs/s | peak RSS / PSS, process tree | first run (makes "
                      "renditions) | load |", "|---|---|---|---|---|---|---|"]
            for s in exports:
                e = s["export"]
                lines.append(f"| {s['render']['articles']:,} | {e.get('urls', e['files']):,} "
                             f"({e['files']:,}) | {e['seconds']} s "
                             f"| {e['urls_per_s']} | {e['peak_tree_rss_mb']} / "
                             f"{e.get('peak_tree_pss_mb', '?')} MB | {e['first_seconds']} s, "
                             f"{e['first_peak_tree_rss_mb']} / "
                             f"{e.get('first_peak_tree_pss_mb', '?')} MB | "
                             f"{s['export_load'].split()[0]} |")
        lines.append("")
    if "lighthouse" in record:
        lines += ["## Lighthouse mobile (performance / accessibility / best practices / SEO)", ""]
        for name, scores in record["lighthouse"].items():
            if "error" in scores or name == "skipped":
                lines.append(f"- {name}: {scores}")
                continue
            below = "; ".join(f"{c}: {', '.join(ids)}" for c, ids in scores["below_full"].items())
            lines.append(f"- {name}: **{'/'.join(str(scores[c]) for c in CATEGORIES)}**, "
                         f"{(scores['total_bytes'] or 0) / 1024:.1f} KiB transferred"
                         + (f"; below full marks: {below}" if below else ""))
        lines.append(f"- load average: {record.get('lighthouse_load')}")
        lines.append("")
    return "\n".join(lines)


def render_row(r):
    def cell(name):
        return f"{r[name]} ({r[name + '_sql_ms']} ms)"

    return (f"| {r['articles']:,} | {cell('article')} | {cell('section')} | {cell('home')} | "
            f"{cell('tag')} | {cell('author')} | {r['article_cpu_ms']} ms | {r['flat_cpu_ms']} ms "
            f"| {r['article_vs_flat']}× |")


def software():
    def first(args):
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=30)
            return (done.stdout + done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    return ", ".join([first(["nginx", "-v"]).replace("nginx version: ", ""),
                      first(["wrk", "--version"]).split(" [")[0],
                      "gunicorn " + first([smoke_stack.GUNICORN, "--version"]).split()[-1]
                      .strip("()"),
                      first(["psql", "--version"]), first(["redis-server", "--version"])
                      .split(" sha")[0], f"Python {sys.version.split()[0]}"])


def sizes(text):
    return [int(x) for x in text.replace(" ", ",").split(",") if x]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=sizes, default=sizes(os.environ.get("QUERY_SIZES", "100")))
    parser.add_argument("--export-sizes", type=sizes,
                        default=sizes(os.environ.get("EXPORT_SIZES", "1000")))
    parser.add_argument("--sizes-postgres", action="store_true",
                        default=os.environ.get("QUERY_SIZES_POSTGRES", "") not in ("", "0"),
                        help="measure queries at --sizes on PostgreSQL too (a fresh database "
                             "<--database>_size_<N> each)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--stack-articles", type=int,
                        default=int(os.environ.get("STACK_ARTICLES", "100")))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("WRK_SECONDS", "5")))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("WRK_ROUNDS", "2")))
    parser.add_argument("--connections", type=int,
                        default=int(os.environ.get("WRK_CONNECTIONS", "16")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "9300")))
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "samizdat_bench"))
    parser.add_argument("--postgres-url",
                        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url",
                        default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3"))
    parser.add_argument("--no-pages", dest="pages", action="store_false")
    parser.add_argument("--no-wrk", dest="wrk", action="store_false",
                        help="on the production set-up, only queries, CPU and Lighthouse")
    parser.add_argument("--no-lighthouse", dest="lighthouse", action="store_false")
    options = parser.parse_args()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    record = {
        "when": when, "load_before": loadavg(), "command": " ".join(["bench/speed.py",
                                                                     *sys.argv[1:]]),
        "machine": f"{os.cpu_count()} CPUs, "
                   + subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | "
                                     "cut -d: -f2"], capture_output=True, text=True)
                   .stdout.strip(),
        "software": software(), "stack_articles": options.stack_articles,
        "seconds": options.seconds, "rounds": options.rounds,
        "connections": options.connections, "sizes": [],
    }
    say(f"== speed bench {when}, load average {record['load_before']}")
    if options.pages:
        production(options, record)
    all_sizes = sorted(set(options.sizes) | set(options.export_sizes))
    for articles in all_sizes:
        say(f"== {articles} generated articles (SQLite); load {loadavg()}")
        record["sizes"].append(size_run(articles, articles in options.export_sizes,
                                        options.jobs))
    for articles in options.sizes if options.sizes_postgres else ():
        say(f"== {articles} generated articles (PostgreSQL); load {loadavg()}")
        record["sizes"].append(size_run(articles, False, options.jobs, postgres=(
            options.postgres_url, f"{options.database}_size_{articles}")))
    record["load_after"] = loadavg()
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    markdown = table(record)
    (RESULTS / f"speed-{stamp}.md").write_text(markdown + "\n")
    (RESULTS / f"speed-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    say("\n" + markdown)
    say(f"== written to bench/results/speed-{stamp}.md (and .json)")


if __name__ == "__main__":
    main()
