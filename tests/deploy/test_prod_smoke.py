"""`make prod-smoke`: the production set-up on loopback, end to end.

nginx (TLS, micro-cache, purge) in front of two gunicorn app processes that
share PostgreSQL (database "samizdat_smoke") and Redis, plus a separate task
worker, all with production settings (DEBUG off). Slow (about three minutes),
so it runs when SAMIZDAT_PROD_SMOKE=1 (make prod-smoke sets it).
"""

import http.client
import json
import os
import re
import time
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from .conftest import require, require_nginx, require_services

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("SAMIZDAT_PROD_SMOKE"),
        reason="slow end-to-end production smoke: run `make prod-smoke` (SAMIZDAT_PROD_SMOKE=1)",
    ),
    # One stack on fixed ports: under pytest-xdist (--dist loadgroup) one worker runs all.
    pytest.mark.xdist_group("prod-smoke"),
]


@pytest.fixture(scope="module")
def stack():
    require_nginx()
    require("openssl")
    require_services()
    import smoke_stack

    # A long micro-cache: a page can only turn fresh through the purge.
    running = smoke_stack.start(microcache_seconds="600")
    yield running
    smoke_stack.teardown(running)


def eventually(check, what, timeout=60):
    """Poll a condition of a distributed system until it holds (liveness, not speed)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still not true after {timeout} s")
        time.sleep(0.5)


class AppClient:
    """Talks to one app process directly, as nginx forwards to it, keeping cookies."""

    def __init__(self, stack, port):
        self.stack, self.port, self.cookies = stack, port, {}

    def request(self, method, path, form=None):
        headers = dict(self.stack.forwarded_headers())
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Origin": self.stack.public_origin,
                            "Sec-Fetch-Site": "same-origin"})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for raw in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def csrf_token(self, path):
        status, _headers, html = self.request("GET", path)
        assert status == 200, (path, status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_pages_are_served_through_nginx_over_tls_with_security_headers(stack):
    status, headers, body = stack.get("/")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in headers
    assert stack.get("/")[1]["X-Cache"] == "HIT"
    stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', body).group(1).decode()
    status, headers, _css = stack.get(stylesheet)
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert stack.get("/ru/privacy/")[0] == 200


def test_plain_http_redirects_to_https(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports.http, timeout=30)
    conn.request("GET", "/privacy/", headers={"Host": "localhost"})
    response = conn.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://localhost:{stack.ports.https}/privacy/"


def test_staff_pages_are_never_served_from_the_cache(stack):
    admin = "/admin/login/"
    first, second = stack.get(admin), stack.get(admin)
    assert first[0] == second[0] == 200
    assert second[1].get("X-Cache") != "HIT"
    assert "no-store" in second[1]["Cache-Control"] or "private" in second[1]["Cache-Control"]


def test_purge_server_refuses_other_methods(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports.purge, timeout=30)
    conn.request("POST", "/", body="x", headers={"Host": "localhost"})
    assert conn.getresponse().status == 405


def test_a_page_published_through_one_app_process_is_fresh_on_both_and_in_nginx(stack):
    found = json.loads(stack.shell(
        "import json\n"
        "from samizdat.news.models import ArticlePage\n"
        "p = ArticlePage.objects.live().filter(locale__language_code='en').first()\n"
        "print(json.dumps([p.pk, p.get_url_parts()[2], p.title]))").strip().splitlines()[-1])
    page_id, path, old_title = found
    # Every cache holds the old version: nginx, and both processes' shared Redis cache.
    assert old_title in stack.get(path)[2].decode()
    assert stack.get(path)[1]["X-Cache"] == "HIT"
    for port in (stack.ports.app_a, stack.ports.app_b):
        assert old_title in stack.get_direct(port, path)[2].decode()

    new_title = f"Fresh everywhere {uuid.uuid4().hex[:8]}"
    stack.shell(
        "from django.contrib.auth.models import Group\n"
        "from samizdat.users.models import User\n"
        "u = User.objects.create_user('smoke-editor', password='smoke editor password 1')\n"
        "u.groups.add(Group.objects.get(name='Editor'))\n"
        "from wagtail.models import Page\n"
        f"p = Page.objects.get(pk={page_id}).specific\n"
        f"p.title = {new_title!r}\n"
        "p.save_revision(user=u)\n")  # a draft: nothing public changes yet
    assert new_title not in stack.get(path)[2].decode()

    editor = AppClient(stack, stack.ports.app_a)
    token = editor.csrf_token("/admin/login/")
    status, headers, _ = editor.request("POST", "/admin/login/", {
        "csrfmiddlewaretoken": token, "username": "smoke-editor",
        "password": "smoke editor password 1", "next": "/admin/"})
    assert status == 302, headers
    publish = f"/admin/bulk/wagtailcore/page/publish/?id={page_id}"
    status, headers, _ = editor.request("POST", publish, {
        "csrfmiddlewaretoken": editor.csrf_token(publish)})
    assert status == 302, (status, headers)

    def fresh_everywhere():
        return (new_title in stack.get(path)[2].decode()
                and all(new_title in stack.get_direct(port, path)[2].decode()
                        for port in (stack.ports.app_a, stack.ports.app_b)))

    eventually(fresh_everywhere, "the published title on nginx and both app processes")
    status, headers, body = stack.get(path)
    assert headers["X-Cache"] == "HIT" and new_title in body.decode()


def test_a_page_made_private_leaves_nginx_and_both_app_processes_at_once(stack):
    """The micro-cache is 600 s here: only a purge that removes the entry can hide the
    page. A purge that refetched would get a private response, which nginx may not
    store, and would keep serving the public copy."""
    found = json.loads(stack.shell(
        "import json\n"
        "from samizdat.news.models import ArticlePage\n"
        "p = ArticlePage.objects.live().filter(locale__language_code='en').last()\n"
        "print(json.dumps([p.pk, p.get_url_parts()[2], p.title]))").strip().splitlines()[-1])
    page_id, path, title = found
    assert title in stack.get(path)[2].decode()
    # Served from the micro-cache by each of nginx's workers (new connections land on
    # either): a worker that kept the cached file open must not serve it after the purge.
    for _ in range(8):
        assert stack.get(path)[1]["X-Cache"] == "HIT"

    stack.shell("from wagtail.models import Page, PageViewRestriction\n"
                f"PageViewRestriction.objects.create(page=Page.objects.get(pk={page_id}), "
                "restriction_type=PageViewRestriction.LOGIN)\n")

    def hidden_everywhere():
        answers = [stack.get(path)] + [stack.get_direct(port, path)
                                       for port in (stack.ports.app_a, stack.ports.app_b)]
        return all(status == 302 and title not in body.decode()
                   for status, _headers, body in answers)

    eventually(hidden_everywhere, "the private page hidden on nginx and both app processes",
               timeout=30)
    for _ in range(20):  # and it stays hidden: nothing stale comes back
        status, headers, body = stack.get(path)
        assert status == 302 and title not in body.decode(), (
            status, headers.get("X-Cache"), headers.get("X-Page-Cache"))
        assert "/login/" in headers["Location"]


def probe_runs(stack, prefix):
    rows = stack.sql("SELECT token, worker_pid FROM security_proberun "
                     f"WHERE token LIKE '{prefix}%' ORDER BY id")
    return [(token, int(pid)) for token, pid in rows]


def task_statuses(stack, prefix):
    rows = stack.sql("SELECT status, args_kwargs->'args'->>0 "
                     "FROM django_tasks_database_dbtaskresult "
                     "WHERE task_path = 'samizdat.security.tasks.probe' "
                     f"AND args_kwargs->'args'->>0 LIKE '{prefix}%'")
    return {token: status for status, token in rows}


def enqueue(stack, prefix, count, seconds=0.0):
    stack.shell("from samizdat.security.tasks import probe\n"
                f"for i in range({count}): probe.enqueue('{prefix}' + str(i), {seconds})")


def test_background_tasks_run_exactly_once_in_the_separate_worker(stack):
    worker_pid = stack.processes["worker"].pid
    enqueue(stack, "once-", 20)
    eventually(lambda: len(probe_runs(stack, "once-")) >= 20
               and "READY" not in task_statuses(stack, "once-").values(), "20 probe tasks")
    runs = probe_runs(stack, "once-")
    assert sorted(token for token, _pid in runs) == sorted(f"once-{i}" for i in range(20))
    assert {pid for _token, pid in runs} == {worker_pid}
    assert set(task_statuses(stack, "once-").values()) == {"SUCCESSFUL"}


def test_a_killed_worker_comes_back_and_leaves_no_task_running_and_none_run_twice(stack):
    enqueue(stack, "kill-", 30, seconds=0.3)
    eventually(lambda: len(probe_runs(stack, "kill-")) >= 3, "the first tasks")
    old_pid = stack.crash_process("worker")  # SIGKILL mid-queue, as the OOM killer would
    before = probe_runs(stack, "kill-")
    assert "READY" in task_statuses(stack, "kill-").values(), "nothing was left to recover"

    # Supervised, as systemd's Restart=always does: a new worker takes the queue.
    eventually(lambda: stack.processes["worker"].pid != old_pid, "the worker's restart")
    eventually(lambda: "READY" not in task_statuses(stack, "kill-").values(),
               "the queued tasks after the restart")
    # The task the dead worker was running is taken back after the lease (10 s here):
    # the probe is not safe to run twice, so it is failed, not left RUNNING for ever.
    eventually(lambda: "RUNNING" not in task_statuses(stack, "kill-").values(),
               "the dead worker's task to be taken back", timeout=90)
    runs = probe_runs(stack, "kill-")
    tokens = [token for token, _pid in runs]
    assert len(tokens) == len(set(tokens)), "a task ran twice"
    assert sorted(tokens) == sorted(f"kill-{i}" for i in range(30))
    failed = stack.sql("SELECT args_kwargs->'args'->>0, exception_class_path "
                       "FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED' "
                       "AND args_kwargs->'args'->>0 LIKE 'kill-%'")
    assert len(failed) <= 1
    assert all(exc == "samizdat.news.worker.WorkerLost" and token in {t for t, _ in before}
               for token, exc in failed)
    new_pid = stack.processes["worker"].pid
    assert {pid for token, pid in runs if (token, pid) not in before} == {new_pid}
    assert stack.restarts["worker"] == 1
