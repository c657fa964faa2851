"""`manage.py check --deploy` is clean with production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def run_check(tmp_path, **extra):
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SAMIZDAT_", "SECURE_", "DEBUG"))
    }
    env.update({
        "SAMIZDAT_PRODUCTION": "1",
        "SAMIZDAT_HTTPS": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SAMIZDAT_DONOR_KEYS": Fernet.generate_key().decode(),
        "SAMIZDAT_DONOR_INDEX_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "news.example.org",
        "SAMIZDAT_VAR_DIR": str(tmp_path),
        **extra,
    })
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = run_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_a_checkout_origin_that_is_not_https(tmp_path):
    result = run_check(tmp_path, SAMIZDAT_CHECKOUT_ORIGINS="http://pay.example.com/checkout")
    assert result.returncode != 0
    assert "samizdat_security.E004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_check(tmp_path, SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_donor_keys(tmp_path):
    result = run_check(tmp_path, SAMIZDAT_DONOR_KEYS="", SAMIZDAT_DONOR_INDEX_KEY="")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "samizdat_support.E001" in output and "samizdat_support.E003" in output
    assert "generate_donor_key" in output


def test_production_names_a_malformed_donor_key(tmp_path):
    result = run_check(tmp_path, SAMIZDAT_DONOR_KEYS=f"{Fernet.generate_key().decode()},oops")
    assert result.returncode != 0
    assert "samizdat_support.E002" in result.stdout + result.stderr
    assert "entry 2 is not a Fernet key" in result.stdout + result.stderr


def test_an_app_process_refuses_to_start_without_donor_keys(tmp_path):
    """gunicorn imports samizdat.wsgi and runs no system checks: the import itself fails."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "SAMIZDAT_", "SECURE_", "DEBUG"))}
    env.update({"SAMIZDAT_PRODUCTION": "1", "DEBUG": "0", "SECRET_KEY": "x" * 50,
                "ALLOWED_HOSTS": "news.example.org", "SAMIZDAT_VAR_DIR": str(tmp_path)})
    load = [sys.executable, "-c", "import samizdat.wsgi"]
    refused = subprocess.run(load, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode != 0
    assert "samizdat_support.E001" in refused.stderr
    env.update({"SAMIZDAT_DONOR_KEYS": Fernet.generate_key().decode(),
                "SAMIZDAT_DONOR_INDEX_KEY": secrets.token_urlsafe(48)})
    started = subprocess.run(load, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0, started.stderr
