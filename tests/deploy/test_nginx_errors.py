"""Errors nginx produces itself carry the security headers and our own page.

Before, a 502 (app down), 504 or 413 (body too large) came from nginx bare: no
CSP, HSTS or X-Frame-Options (issue: hardening, item 16). A real nginx from
deploy/nginx, in front of an app port where nothing listens.
"""

import http.client
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

from .conftest import DEPLOY, require_nginx
from .test_configs import render_site

HEADERS = {
    "Content-Security-Policy": "default-src 'none'",
    "Strict-Transport-Security": "max-age=31536000",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def nginx_without_app(tmp_path, tls_pair):
    require_nginx()
    https, http_port, purge, app = (free_port() for _ in range(4))
    # nginx's workers run unprivileged: their cache folder must be reachable and writable
    # (pytest's own temporary folders are private to us).
    cache = Path(tempfile.mkdtemp(prefix="samizdat-nginx-cache-"))
    cache.chmod(0o777)
    conf = render_site(tmp_path, tls_pair, HTTPS_LISTEN=f"127.0.0.1:{https}",
                       HTTP_LISTEN=f"127.0.0.1:{http_port}", PURGE_LISTEN=f"127.0.0.1:{purge}",
                       APP_SERVERS=f"127.0.0.1:{app}", SERVER_NAME="localhost",
                       ERROR_PAGES=str(DEPLOY / "nginx" / "errors"), CACHE_DIR=str(cache))
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ends = time.monotonic() + 60  # a deadline, not a count: a loaded machine is slow
    while True:
        try:
            socket.create_connection(("127.0.0.1", https), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > ends:
                proc.kill()
                pytest.fail("nginx did not start: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.05)
    yield https
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(cache, ignore_errors=True)


def _request(port, method="GET", path="/", headers=None):
    context = ssl._create_unverified_context()  # noqa: S323 - a test certificate
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=20)
    conn.request(method, path, headers={"Host": "localhost", **(headers or {})})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response, body


def _assert_protected(response):
    for name, start in HEADERS.items():
        assert (response.getheader(name) or "").startswith(start), (name, response.getheaders())


def test_the_app_down_gives_our_page_with_the_security_headers(nginx_without_app):
    response, body = _request(nginx_without_app)
    assert response.status == 502
    _assert_protected(response)
    assert "We will be back in a moment" in body and "<script" not in body


def test_a_body_too_large_gives_our_page_with_the_security_headers(nginx_without_app):
    response, body = _request(nginx_without_app, "POST", "/support/",
                              {"Content-Length": str(30 * 1024 * 1024),
                               "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 413
    _assert_protected(response)
    assert "too large" in body
