"""Newsletter sending speed: one issue (5 articles in full, a personal unsubscribe link
each) to N subscribers through a real Postfix on loopback with a discard transport,
against Postfix's own smtp-source pushing the same message size into the same Postfix
in the same run; peak memory at each list size; a worker killed half-way and restarted
(deliveries counted in Postfix's log: none twice, the missing ones among those the
issue counts as uncertain); the admin's newsletter, issue and Send pages at that size
(time and queries); with --compare, this code against another checkout's in the same run.

    .venv/bin/python bench/newsletter_send.py                      # 10,000 then 100,000
    .venv/bin/python bench/newsletter_send.py --subscribers 2000   # a quick look
    .venv/bin/python bench/newsletter_send.py --subscribers 5000 --workers 4 \
        --database-url postgres://…/empty_db --compare OLD_CHECKOUT

Needs Debian's postfix (`apt-get install -y postfix`; run as root, the script installs
it if missing). Postfix runs as a private instance: its own config and queue folder in
the temporary work folder, listening on 127.0.0.1:PORT only, every transport `discard:`,
stopped at the end. Nothing leaves the machine.

The sender is what the task worker runs: `sending.start()` writes the deliveries, then
`sending.send_batch()` is called until nothing is left (tasks.send_batch chains the
batches one after another; --workers K runs K such chains at once, as
NEWSLETTERS_PARALLEL_SENDS does).
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from load_common import save

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DISCARDED = re.compile(r"postfix/discard\[\d+\]: \w+: to=<([^>]+)>.*status=sent")

SEED = r"""
import json
from django.db import transaction
from django.utils import timezone
from samizdat.core.crypto import blind_index
from samizdat.news.models import ArticlePage
from samizdat.newsletters.models import Issue, IssueArticle, Newsletter, Subscriber, Subscription
from samizdat.newsletters.render import message_for, render_content

N = {subscribers}
newsletter = Newsletter.objects.create(name="Bench daily", cadence="daily",
                                       sender_address="news@bench.localdomain")
articles = sorted(ArticlePage.objects.live().filter(locale__language_code="en"),
                  key=lambda a: -sum(len(str(b.value)) for b in a.body))[:5]
issue = Issue.objects.create(newsletter=newsletter, subject="Five stories in full",
                             body="Good morning.", article=articles[0], full_text=True)
for order, article in enumerate(articles[1:]):
    IssueArticle.objects.create(issue=issue, article=article, sort_order=order)
now = timezone.now()
CHUNK = 5000
for start in range(0, N, CHUNK):
    with transaction.atomic():
        rows = []
        for i in range(start, min(N, start + CHUNK)):
            email = f"reader{{i}}@bench.example"
            rows.append(Subscriber(email=email, email_index=blind_index(email)))
        made = Subscriber.objects.bulk_create(rows, batch_size=1000)
        Subscription.objects.bulk_create(
            [Subscription(subscriber=s, newsletter=newsletter, source="import",
                          confirmed=now) for s in made], batch_size=1000)
subscription = Subscription.objects.select_related("subscriber", "newsletter").first()
size = len(message_for(render_content(issue), subscription).message().as_bytes())
print(json.dumps({{"issue": issue.pk, "message_bytes": size,
                  "articles": [a.title for a in articles]}}))
"""

START = r"""
import json, time
from samizdat.newsletters import sending
started = time.perf_counter()
sending.start({issue})
peak = [int(line.split()[1]) / 1024 for line in open("/proc/self/status")
        if line.startswith("VmHWM:")][0]
print(json.dumps({{"seconds": time.perf_counter() - started, "peak_mb": peak}}))
"""

# The worker: what tasks.send_batch does, batch after batch, printing progress and its
# own peak memory (VmHWM) after each batch.
WORKER = r"""
import json, sys, time
from django.conf import settings
from samizdat.newsletters import sending
from samizdat.newsletters.models import Issue
settings.NEWSLETTERS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
settings.NEWSLETTERS_EMAIL_OPTIONS = {{"host": "127.0.0.1", "port": {port}, "timeout": 30}}
settings.NEWSLETTERS_CLAIM_SECONDS = {claim_seconds}
settings.NEWSLETTERS_BATCH_SIZE = {batch}
settings.NEWSLETTERS_HANDOVER_CHUNK = {chunk}

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

started, cpu = time.perf_counter(), time.process_time()
total = 0
more = True
while more:
    sent, more = sending.send_batch({issue})
    total += sent
    print(json.dumps({{"sent": total, "seconds": time.perf_counter() - started,
                      "cpu_seconds": time.process_time() - cpu, "peak_mb": peak_mb()}}),
          flush=True)
    if not sent and more:
        time.sleep(1)  # only claimed rows left: wait for their lease to pass
print(json.dumps({{"done": True, "status": Issue.objects.get(pk={issue}).status}}), flush=True)
"""

PROGRESS = r"""
import json
from django.conf import settings
from samizdat.newsletters import sending
settings.NEWSLETTERS_CLAIM_SECONDS = {claim_seconds}
from samizdat.newsletters.models import Issue
print(json.dumps(sending.progress(Issue.objects.get(pk={issue}))))
"""

ADMIN = r"""
import json, statistics, time
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from samizdat.users.models import User
from samizdat.newsletters.models import Newsletter
settings.ALLOWED_HOSTS = ["*"]
settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
from django.contrib.auth.models import Permission
# An editor with the newsletter permissions (a superuser would be sent to set up 2FA).
user = User.objects.create_user("bench-editor", "editor@bench.example", "x")
user.user_permissions.add(*Permission.objects.filter(codename__in=[
    "access_admin", "view_newsletter", "change_newsletter", "view_issue", "change_issue",
    "send_issue"]))
client = Client()
client.force_login(user)
pages = {{"newsletters listing (confirmed counts)": "/admin/snippets/newsletters/newsletter/",
         "issues listing (sent and recipient counts)": "/admin/snippets/newsletters/issue/",
         "Send page of the issue (recipients, progress)":
             "/admin/newsletters/issues/{issue}/send/"}}
out = {{}}
for label, path in pages.items():
    times = []
    for attempt in range(6):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    out[label] = {{"path": path, "median_ms": round(statistics.median(times[1:]), 1),
                  "queries": len(queries)}}
print(json.dumps(out))
"""


# --- Postfix -------------------------------------------------------------------------


class Postfix:
    """A private Postfix: config, queue and log under `folder`, loopback only."""

    def __init__(self, folder, port):
        self.folder, self.port = Path(folder), port
        self.etc, self.log = self.folder / "etc", self.folder / "maillog"

    def configure(self):
        self.folder.chmod(0o755)  # mkdtemp's 0700 would keep Postfix's own user out
        self.etc.mkdir(parents=True)
        (self.folder / "spool").mkdir()
        (self.folder / "data").mkdir()
        shutil.chown(self.folder / "data", "postfix")
        master = []
        for line in Path("/etc/postfix/master.cf.proto").read_text().splitlines():
            fields = line.split()
            if line and not line[0].isspace() and not line.startswith("#") and len(fields) >= 8:
                if fields[:2] == ["smtp", "inet"]:
                    fields[0] = f"127.0.0.1:{self.port}"
                fields[4] = "n"  # no chroot: the queue is in our folder
                line = "  ".join(fields)
            master.append(line)
        (self.etc / "master.cf").write_text("\n".join(master) + "\n")
        (self.etc / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {self.folder}/spool
data_directory = {self.folder}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.localdomain
mydomain = localdomain
myorigin = localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = discard:
relay_transport = discard:
local_transport = discard:
virtual_transport = discard:
maillog_file = {self.log}
maillog_file_prefixes = {self.folder}
smtputf8_enable = no
biff = no
message_size_limit = 0
""")

    def postfix(self, *args):
        done = subprocess.run(["postfix", "-c", str(self.etc), *args], capture_output=True,
                              text=True)
        if done.returncode != 0:  # Postfix says why in its own log
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            sys.exit(f"postfix {' '.join(args)} failed:\n{done.stderr}\n{log}")

    def start(self):
        self.configure()
        self.postfix("check")
        self.postfix("start")
        for _ in range(50):
            try:
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("postfix did not start listening")

    def stop(self):
        subprocess.run(["postfix", "-c", str(self.etc), "stop"], capture_output=True)

    def log_size(self):
        return self.log.stat().st_size if self.log.exists() else 0

    def discarded_since(self, offset):
        """Recipient -> how many times Postfix delivered (discarded) to it."""
        if not self.log.exists():
            return Counter()
        with self.log.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
        return Counter(DISCARDED.findall(text))

    def wait_drained(self, offset, expected, timeout=600):
        """Wait until `expected` deliveries since `offset` are in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = sum(self.discarded_since(offset).values())
            if got >= expected:
                return got
            time.sleep(1)
        return sum(self.discarded_since(offset).values())

    def wait_settled(self, offset, quiet=3, timeout=120):
        """Wait until no delivery was logged for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            now = sum(self.discarded_since(offset).values())
            if now == last:
                return now
            last = now
            time.sleep(quiet)
        return last


def ensure_postfix():
    if shutil.which("postfix") and shutil.which("smtp-source"):
        return
    if os.geteuid() != 0:
        sys.exit("Postfix is not installed: run `apt-get install -y postfix` as root.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["debconf-set-selections"], input="postfix postfix/main_mailer_type "
                   "select No configuration\n", text=True, check=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], env=env, check=True)


def smtp_source(postfix, size, messages, sessions):
    """smtp-source's rate (messages/s accepted) for `messages` of `size` bytes."""
    offset = postfix.log_size()
    started = time.perf_counter()
    subprocess.run(["smtp-source", "-d", "-l", str(size), "-m",
                    str(messages), "-s", str(sessions), "-f", "bench@bench.localdomain",
                    "-t", "sink@bench.example", f"127.0.0.1:{postfix.port}"],
                   check=True, capture_output=True)
    seconds = time.perf_counter() - started
    postfix.wait_drained(offset, messages)
    return {"messages": messages, "sessions": sessions, "seconds": round(seconds, 2),
            "per_s": round(messages / seconds, 1)}


# --- The app -------------------------------------------------------------------------


def run(args, env, timeout=None):
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(args[:3])}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def workers(env, code, count, kill_at=None, cwd=ROOT):
    """Run `count` sending workers at once (NEWSLETTERS_PARALLEL_SENDS chains); SIGKILL
    all of them once together they report `kill_at` sent. Returns (per-worker progress
    lines, killed)."""
    processes = [subprocess.Popen([PYTHON, "manage.py", "shell", "-c", code], env=env,
                                  cwd=cwd, stdout=subprocess.PIPE,
                                  stderr=tempfile.TemporaryFile(mode="w+"), text=True)
                 for _ in range(count)]
    lines = [[] for _ in processes]
    killed = threading.Event()
    lock = threading.Lock()

    def read(number, process):
        for line in process.stdout:
            if not line.startswith("{"):
                continue
            with lock:
                lines[number].append(json.loads(line))
                total = sum(rows[-1].get("sent", 0) for rows in lines if rows
                            and "sent" in rows[-1])
                if kill_at is not None and total >= kill_at and not killed.is_set():
                    killed.set()
                    for each in processes:
                        each.send_signal(signal.SIGKILL)

    readers = [threading.Thread(target=read, args=(n, p)) for n, p in enumerate(processes)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    for number, process in enumerate(processes):
        process.wait()
        if not killed.is_set() and process.returncode != 0:
            process.stderr.seek(0)
            sys.exit(f"worker {number} failed:\n{process.stderr.read()[-4000:]}")
    return lines, killed.is_set()


def bench_size(subscribers, postfix, options):
    work = Path(tempfile.mkdtemp(prefix=f"newsletter-bench-{subscribers}-"))
    env = dict(os.environ, SAMIZDAT_VAR_DIR=str(work / "var"), MEDIA_ROOT=str(work / "media"),
               DATABASE_URL=options.database_url or f"sqlite:///{work / 'db.sqlite3'}",
               DEBUG="0", SAMIZDAT_PAGE_CACHE="0", PYTHONHASHSEED="0",
               TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    (work / "var").mkdir()
    manage = [PYTHON, "manage.py"]
    record = {"subscribers": subscribers, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                 time.gmtime()),
              "load_average_before": os.getloadavg()[0], "workdir": str(work)}
    run(manage + ["migrate", "-v0"], env)
    run(manage + ["load_demo"], env)
    seed = last_json(run(manage + ["shell", "-c", SEED.format(subscribers=subscribers)],
                         env).stdout)
    issue, size = seed["issue"], seed["message_bytes"]
    record["message_bytes"] = size
    # smtp-source first, on its own: the same size into the same Postfix.
    reference_messages = min(subscribers, options.reference_messages)
    record["smtp_source"] = [smtp_source(postfix, size, reference_messages, sessions)
                             for sessions in (1, 4)]
    started = last_json(run(manage + ["shell", "-c", START.format(issue=issue)], env).stdout)
    record["start_seconds"] = round(started["seconds"], 2)
    record["start_peak_rss_mb"] = round(started["peak_mb"], 1)
    offset = postfix.log_size()
    code = WORKER.format(issue=issue, port=postfix.port, batch=options.batch,
                         chunk=options.handover_chunk, claim_seconds=options.claim_seconds)
    kill_at = int(subscribers * options.kill_at) if options.kill_at else None
    first, killed = workers(env, code, options.workers, kill_at)
    runs = [first]
    if killed:
        second, _ = workers(env, code, options.workers)
        runs.append(second)
    # Handed over by a killed worker and never confirmed: not sent again (no duplicate);
    # the readers Postfix never got are among them.
    progress = last_json(run(manage + ["shell", "-c", PROGRESS.format(
        issue=issue, claim_seconds=options.claim_seconds)],
                             env).stdout)
    postfix.wait_drained(offset, subscribers - progress.get("uncertain", 0))
    postfix.wait_settled(offset)
    deliveries = postfix.discarded_since(offset)
    # One row per worker process: its progress lines.
    sends = [[line for line in lines if "sent" in line] for run in runs for lines in run]
    seconds = sum(max((lines[-1]["seconds"] for lines in
                       ([line for line in rows if "sent" in line] for rows in run) if lines),
                      default=0) for run in runs)
    record["send"] = {
        "messages": sum(deliveries.values()),
        "recipients": len(deliveries),
        "duplicates": sum(count - 1 for count in deliveries.values() if count > 1),
        "missing": subscribers - len(deliveries),
        "workers": options.workers,
        "killed_at": sum(lines[-1]["sent"] for lines in
                         ([line for line in rows if "sent" in line] for rows in runs[0])
                         if lines) if killed else None,
        "worker_seconds": round(seconds, 1),
        "per_s": round(subscribers / seconds, 1),
        "per_s_by_worker": [round(lines[-1]["sent"] / lines[-1]["seconds"], 1)
                            for lines in sends if lines and lines[-1]["seconds"]],
        "peak_rss_mb_by_worker": [round(lines[-1]["peak_mb"], 1) for lines in sends if lines],
        "status": [rows[-1].get("status") for rows in runs[-1] if rows],
    }
    record["send"]["progress"] = progress
    best = max(r["per_s"] for r in record["smtp_source"])
    record["ratio_to_smtp_source_1_session"] = round(
        record["send"]["per_s"] / record["smtp_source"][0]["per_s"], 3)
    record["ratio_to_smtp_source_best"] = round(record["send"]["per_s"] / best, 3)
    record["admin"] = last_json(run(manage + ["shell", "-c", ADMIN.format(issue=issue)],
                                    env).stdout)
    if options.compare:
        record["compare"] = compare(env, issue, subscribers, size, postfix, options)
    record["load_average_after"] = os.getloadavg()[0]
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    return record


COPY_ISSUE = r"""
import json
from samizdat.newsletters.models import Issue, IssueArticle
issue = Issue.objects.get(pk={issue})
more = list(issue.more_articles.all())
issue.pk = issue.id = None
issue.status = Issue.Status.DRAFT
issue.save()
for item in more:
    IssueArticle.objects.create(issue=issue, article=item.article, sort_order=item.sort_order)
print(json.dumps({{"issue": issue.pk}}))
"""


def compare(env, issue, subscribers, size, postfix, options):
    """The same issue again to the same list, no kill, by this tree's code and by the
    code in `--compare` (e.g. a worktree of the commit before), alternately, with
    smtp-source (4 sessions) between each send: before/after ratios from one run."""
    manage = [PYTHON, "manage.py"]
    rounds = []
    reference = min(subscribers, options.reference_messages)
    references = [smtp_source(postfix, size, reference, 4)]
    for label in ["this", "compare"] * options.compare_rounds:
        tree = ROOT if label == "this" or options.compare == "." else Path(
            options.compare).resolve()
        chunk = (options.compare_chunk if label == "compare" and options.compare_chunk
                 else options.handover_chunk)
        copy = last_json(run(manage + ["shell", "-c", COPY_ISSUE.format(issue=issue)],
                             env).stdout)["issue"]
        run(manage + ["shell", "-c", START.format(issue=copy)], env)
        offset = postfix.log_size()
        load = os.getloadavg()[0]
        code = WORKER.format(issue=copy, port=postfix.port, batch=options.batch,
                             chunk=chunk, claim_seconds=options.claim_seconds)
        lines, _killed = workers(env, code, options.workers, cwd=tree)
        postfix.wait_drained(offset, subscribers)
        postfix.wait_settled(offset)
        duplicates = sum(c - 1 for c in postfix.discarded_since(offset).values() if c > 1)
        sends = [[line for line in rows if "sent" in line] for rows in lines]
        seconds = max(rows[-1]["seconds"] for rows in sends if rows)
        references.append(smtp_source(postfix, size, reference, 4))
        around = (references[-2]["per_s"] + references[-1]["per_s"]) / 2
        per_s = subscribers / seconds
        rounds.append({"code": label, "tree": str(tree), "handover_chunk": chunk,
                       "load_average": round(load, 2),
                       "per_s": round(per_s, 1),
                       # the workers' own CPU per message: steadier than the rate on a
                       # shared machine
                       "worker_cpu_ms_per_message": round(1000 * sum(
                           rows[-1]["cpu_seconds"] for rows in sends if rows) / subscribers, 3),
                       "smtp_source_4_sessions_around": round(around, 1),
                       "ratio": round(per_s / around, 3),
                       "duplicates": duplicates})
    return rounds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, action="append",
                        help="list size (repeat for several; default 10000 and 100000)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("POSTFIX_PORT", 9525)))
    parser.add_argument("--batch", type=int, default=200, help="NEWSLETTERS_BATCH_SIZE")
    parser.add_argument("--handover-chunk", type=int, default=1,
                        help="NEWSLETTERS_HANDOVER_CHUNK (deliveries marked handed over per "
                             "write)")
    parser.add_argument("--workers", type=int, default=1,
                        help="sending workers at once (NEWSLETTERS_PARALLEL_SENDS)")
    parser.add_argument("--kill-at", type=float, default=0.5,
                        help="kill the worker when this share is sent (0: never)")
    parser.add_argument("--claim-seconds", type=int, default=5,
                        help="NEWSLETTERS_CLAIM_SECONDS for the restarted worker")
    parser.add_argument("--reference-messages", type=int, default=10000,
                        help="messages smtp-source sends per run (at most the list size)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="an empty database to use instead of a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    parser.add_argument("--compare", default="",
                        help="another checkout (a worktree with the same .venv): after the "
                             "main send, send the issue again alternately with its code "
                             "and this one's, no kill, smtp-source between each")
    parser.add_argument("--compare-rounds", type=int, default=2)
    parser.add_argument("--compare-chunk", type=int, default=0,
                        help="the compared rounds' NEWSLETTERS_HANDOVER_CHUNK (default: "
                             "--handover-chunk); with --compare . both rounds run this "
                             "tree, so the two chunk sizes are compared")
    options = parser.parse_args()
    ensure_postfix()
    folder = Path(tempfile.mkdtemp(prefix="newsletter-bench-postfix-"))
    postfix = Postfix(folder, options.port)
    try:
        postfix.start()
        for subscribers in options.subscribers or [10000, 100000]:
            record = bench_size(subscribers, postfix, options)
            record["workers"] = options.workers
            record["handover_chunk"] = options.handover_chunk
            print(json.dumps(record, indent=2), flush=True)
            save("newsletter_send", record)
    finally:
        postfix.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
