"""Fixtures for the deployment tests: tools on PATH, the deploy/ modules."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
sys.path.insert(0, str(DEPLOY))


def require(*tools):
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        reason = f"not installed: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


NGINX_PURGE_MODULE = Path("/usr/lib/nginx/modules/ngx_http_cache_purge_module.so")


def require_nginx():
    """nginx and the purge module deploy/nginx loads (libnginx-mod-http-cache-purge)."""
    require("nginx")
    if not NGINX_PURGE_MODULE.exists():
        reason = "not installed: libnginx-mod-http-cache-purge (nginx's purge module)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def require_services():
    """PostgreSQL and Redis on their usual loopback ports (as in .ci/run)."""
    require("psql", "pg_dump", "pg_restore", "redis-cli")
    pg = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"])
    redis = subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True)
    if pg.returncode or redis.returncode:
        reason = "PostgreSQL or Redis is not running on 127.0.0.1"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def tls_pair(tmp_path):
    require("openssl")
    from smoke_stack import self_signed_certificate

    self_signed_certificate(tmp_path)
    return tmp_path / "tls.crt", tmp_path / "tls.key"
