"""Every configuration file in deploy/ is valid for the tool that reads it."""

import configparser
import os
import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from render import render

from .conftest import DEPLOY, ROOT, require_nginx


def nginx_test(conf, prefix):
    return subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(prefix)],
                          capture_output=True, text=True, timeout=60)


def render_site(tmp_path, tls_pair, **overrides):
    cert, key = tls_pair
    values = {"TLS_CERT": str(cert), "TLS_KEY": str(key), "RUN_DIR": str(tmp_path),
              "CACHE_DIR": str(tmp_path / "cache"), "SITE_CONF": str(tmp_path / "site.conf"),
              **overrides}
    (tmp_path / "site.conf").write_text(
        render((DEPLOY / "nginx" / "samizdat.conf.in").read_text(), values))
    (tmp_path / "nginx.conf").write_text(
        render((DEPLOY / "nginx" / "standalone.conf.in").read_text(), values))
    return tmp_path / "nginx.conf"


def test_production_nginx_config_passes_nginx_t(tmp_path, tls_pair):
    require_nginx()
    conf = render_site(tmp_path, tls_pair)
    result = nginx_test(conf, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_config_keeps_staff_and_private_pages_out_of_the_cache(tmp_path, tls_pair):
    site = render((DEPLOY / "nginx" / "samizdat.conf.in").read_text(), {})
    assert "proxy_cache_bypass $cookie_sessionid" in site
    assert "proxy_no_cache $cookie_sessionid $http_authorization $samizdat_private" in site
    assert "~*(private|no-store|no-cache) 1;" in site
    assert "$remote_addr" not in site.split("log_format")[1].split(";")[0]
    purge_server = site.split("# Purge endpoint")[1]
    assert "deny all;" in purge_server
    assert 'proxy_cache_purge samizdat_pages "$host$request_uri";' in purge_server


def test_render_refuses_unknown_placeholders_and_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="NO_SUCH_VALUE"):
        render("listen @NO_SUCH_VALUE@;")
    template = tmp_path / "t.in"
    template.write_text("x @SERVER_NAME@\n")
    result = subprocess.run([sys.executable, str(DEPLOY / "render.py"), str(template),
                             "--set", "lower=1"], capture_output=True, text=True)
    assert result.returncode == 2 and "NAME=VALUE" in result.stderr
    result = subprocess.run([sys.executable, str(DEPLOY / "render.py"), str(template),
                             "--set", "SERVER_NAME=news.example.net"],
                            capture_output=True, text=True)
    assert result.stdout == "x news.example.net\n"


def test_https_redirect_keeps_a_non_standard_port():
    site = render((DEPLOY / "nginx" / "samizdat.conf.in").read_text(),
                  {"HTTPS_LISTEN": "127.0.0.1:8443"})
    assert "return 301 https://$host:8443$request_uri;" in site
    assert "return 301 https://$host$request_uri;" in render(
        (DEPLOY / "nginx" / "samizdat.conf.in").read_text(), {})


def test_gunicorn_config_is_valid_and_binds_where_told(tmp_path):
    env = {**os.environ, "SAMIZDAT_BIND": "127.0.0.1:8177", "WEB_CONCURRENCY": "3"}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--check-config", "--print-config",
         "-c", str(DEPLOY / "gunicorn.conf.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.M))
    assert config["bind"] == "['127.0.0.1:8177']"
    assert config["workers"] == "3"
    assert config["accesslog"] == "None"
    assert config["wsgi_app"] == "samizdat.wsgi:application"
    # Warm workers forked from a preloaded master, never recycled (docs/deploy.md).
    assert config["preload_app"] == "True"
    assert config["max_requests"] == "0"


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").iterdir()))
def test_systemd_units_run_real_commands_with_the_env_file(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / unit)
    if unit.endswith(".timer"):
        assert parser["Timer"]["OnCalendar"]
        assert (DEPLOY / "systemd" / unit.replace(".timer", ".service")).exists()
        return
    service = parser["Service"]
    assert service["EnvironmentFile"] == "/etc/samizdat/samizdat.env"
    assert service["User"] == "samizdat"
    exec_start = service["ExecStart"].split()
    command = exec_start[exec_start.index("manage.py") + 1] if "manage.py" in exec_start else None
    if command:
        result = subprocess.run([sys.executable, "manage.py", "help", command], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (command, result.stderr)
    for path in exec_start:
        if path.startswith("/srv/samizdat/deploy/"):
            assert (DEPLOY / path.removeprefix("/srv/samizdat/deploy/")).exists(), path


def env_example():
    values = {}
    for line in (DEPLOY / "samizdat.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_every_variable_in_the_env_example_is_read_by_the_project():
    sources = (ROOT / "samizdat" / "settings.py").read_text() + \
        (DEPLOY / "backup.sh").read_text() + (DEPLOY / "gunicorn.conf.py").read_text()
    for name in env_example():
        assert f'"{name}"' in sources or f"${{{name}" in sources or f"{name}:" in sources, name


def test_check_deploy_is_clean_with_the_env_example(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "SAMIZDAT_", "SECURE_", "DEBUG", "DATABASE_URL",
                                "REDIS_URL"))}
    env.update(env_example())
    env.update({"SECRET_KEY": secrets.token_urlsafe(50), "SAMIZDAT_VAR_DIR": str(tmp_path),
                "SAMIZDAT_DONOR_KEYS": Fernet.generate_key().decode(),
                "SAMIZDAT_DONOR_INDEX_KEY": secrets.token_urlsafe(48),
                "STATIC_ROOT": str(tmp_path / "static"), "MEDIA_ROOT": str(tmp_path / "media"),
                "SAMIZDAT_EXPORT_DIR": str(tmp_path / "export"),
                "DATABASE_URL": env_example()["DATABASE_URL"].replace(
                    "change-me", secrets.token_urlsafe(24))})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_env_example_as_shipped_is_refused_naming_each_placeholder(tmp_path):
    """An operator who forgets to replace a placeholder gets told which one and how."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "SAMIZDAT_", "SECURE_", "DEBUG", "DATABASE_URL",
                                "REDIS_URL"))}
    env.update(env_example())
    env.update({"SAMIZDAT_VAR_DIR": str(tmp_path), "STATIC_ROOT": str(tmp_path / "static"),
                "MEDIA_ROOT": str(tmp_path / "media")})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for check_id in ("samizdat_security.E011", "samizdat_support.E002",
                     "samizdat_security.E014", "samizdat_security.E018"):
        assert check_id in output, (check_id, output)
    assert "secrets.token_urlsafe(50)" in output and "generate_donor_key" in output


def test_cron_alternative_uses_the_same_commands():
    cron = (DEPLOY / "cron" / "samizdat").read_text()
    assert "manage.py run_periodic --once" in cron
    assert "deploy/backup.sh" in cron


def test_every_documented_way_of_running_the_worker_restarts_it():
    """systemd (Restart=always), `make demo` (a restart loop) and the smoke stack (its
    supervisor, exercised by `make prod-smoke`) all bring a dead worker back."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(DEPLOY / "systemd" / "samizdat-worker.service")
    assert parser["Service"]["Restart"] == "always"
    demo = (ROOT / "Makefile").read_text().split("\ndemo: messages\n")[1].split("\n\n")[0]
    assert re.search(r"while :; do DEBUG=1 \$\(MANAGE\) db_worker", demo), demo
