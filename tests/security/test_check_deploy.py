"""`manage.py check --deploy` is clean with production settings."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
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
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
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


@pytest.mark.parametrize("entry_point", ["samizdat.wsgi", "samizdat.asgi"])
def test_an_app_process_refuses_to_start_without_donor_keys(tmp_path, entry_point):
    """gunicorn (WSGI) and ASGI servers run no system checks: the import itself fails."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "SAMIZDAT_", "SECURE_", "DEBUG"))}
    env.update({"SAMIZDAT_PRODUCTION": "1", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "news.example.org", "SAMIZDAT_VAR_DIR": str(tmp_path),
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"})
    load = [sys.executable, "-c", f"import {entry_point}"]
    refused = subprocess.run(load, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode != 0
    assert "samizdat_support.E001" in refused.stderr
    env.update({"SAMIZDAT_DONOR_KEYS": Fernet.generate_key().decode(),
                "SAMIZDAT_DONOR_INDEX_KEY": secrets.token_urlsafe(48)})
    started = subprocess.run(load, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0, started.stderr


# --- What a production install refuses to run with (issue: hardening, items 1 and 9) ---

DEMO_SECRET = "samizdat-demo-key-not-for-production-use-0123456789"


def demo_key(purpose):
    from samizdat.production import demo_donor_key

    return demo_donor_key(purpose)


@pytest.mark.parametrize("extra, check_id, says", [
    ({"SECRET_KEY": "change-me"}, "E011", "secrets.token_urlsafe(50)"),
    ({"SECRET_KEY": DEMO_SECRET}, "E011", "SECRET_KEY"),
    ({"SECRET_KEY": "ab" * 30}, "E012", "not random enough"),
    ({"SAMIZDAT_DONOR_KEYS": "change-me"}, "E013", "generate_donor_key"),
    ({"SAMIZDAT_DONOR_KEYS": "demo-encryption"}, "E013", "generate_donor_key"),
    ({"SAMIZDAT_DONOR_KEYS": base64.urlsafe_b64encode(b"k" * 32).decode()}, "E013", "random"),
    ({"SAMIZDAT_DONOR_INDEX_KEY": "x" * 32}, "E014", "generate_donor_key --index"),
    ({"SAMIZDAT_DONOR_INDEX_KEY": "demo-index"}, "E014", "SAMIZDAT_DONOR_INDEX_KEY"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "E015", "EMAIL_HOST"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "E015", "smtp"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}, "E015", "smtp"),
    ({"SAMIZDAT_DEMO_PAYMENTS": "1"}, "E016", "demo payment provider"),
    ({"STRIPE_SECRET_KEY": "sk_live_" + "a1B2c3D4" * 4, "STRIPE_WEBHOOK_SECRET": "change-me"},
     "E017", "STRIPE_WEBHOOK_SECRET"),
    ({"DATABASE_URL": "postgres://samizdat:change-me@127.0.0.1:5432/samizdat"}, "E018",
     "password"),
])
def test_production_refuses_unsafe_settings_naming_the_variable(tmp_path, extra, check_id,
                                                                   says):
    extra = {key: {"demo-encryption": demo_key("donor-encryption"),
                   "demo-index": demo_key("donor-index")}.get(value, value)
             for key, value in extra.items()}
    result = run_check(tmp_path, **extra)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"samizdat_security.{check_id}" in output, output
    assert says in output


def test_production_with_debug_on_refuses_to_start_instead_of_using_the_demo_keys(tmp_path):
    result = run_check(tmp_path, DEBUG="1", SECRET_KEY="", SAMIZDAT_DONOR_KEYS="",
                       SAMIZDAT_DONOR_INDEX_KEY="")
    assert result.returncode != 0
    assert "samizdat_security.E010" in result.stderr and "Set DEBUG=0" in result.stderr


def production_env(tmp_path, drop, **extra):
    """Valid production keys, none of the caller's DJANGO_/SAMIZDAT_/… variables (nor
    those starting with `drop`), then `extra`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "SAMIZDAT_", "SECURE_", "DEBUG", drop))}
    env.update({"SAMIZDAT_PRODUCTION": "1", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
                "SAMIZDAT_DONOR_KEYS": Fernet.generate_key().decode(),
                "SAMIZDAT_DONOR_INDEX_KEY": secrets.token_urlsafe(48),
                "ALLOWED_HOSTS": "news.example.org", "SAMIZDAT_VAR_DIR": str(tmp_path),
                **extra})
    return env


@pytest.mark.parametrize("entry_point", ["samizdat.wsgi", "samizdat.asgi"])
def test_an_app_process_refuses_the_demo_provider_and_console_mail(tmp_path, entry_point):
    """Servers import the entry point without running checks: the import itself refuses."""
    env = production_env(tmp_path, "EMAIL_", SAMIZDAT_DEMO_PAYMENTS="1")
    refused = subprocess.run([sys.executable, "-c", f"import {entry_point}"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "samizdat_security.E016" in refused.stderr  # the demo provider
    assert "samizdat_security.E015" in refused.stderr  # console e-mail, the old default


def test_production_without_a_real_provider_offers_bank_transfer_only(tmp_path):
    """No Stripe key in production: the demo provider is not switched on by default."""
    env = production_env(tmp_path, "STRIPE_", DJANGO_SETTINGS_MODULE="samizdat.settings")
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(sorted(settings.SAMIZDAT_PAYMENT_PROVIDERS))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['bank_transfer']"


@pytest.mark.parametrize("value", ["ten", "-1"])
def test_a_page_cache_number_that_is_not_one_stops_the_start_with_its_name(tmp_path, value):
    result = run_check(tmp_path, SAMIZDAT_PAGE_CACHE_TOKEN_SECONDS=value)
    assert result.returncode != 0
    assert "SAMIZDAT_PAGE_CACHE_TOKEN_SECONDS must" in result.stderr
    assert repr(value) in result.stderr


def test_the_page_cache_memory_is_set_from_the_environment(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "SAMIZDAT_"))}
    env.update({"SAMIZDAT_VAR_DIR": str(tmp_path), "SAMIZDAT_PAGE_CACHE_LOCAL_SECONDS": "0",
                "SAMIZDAT_PAGE_CACHE_ACK_SECONDS": "0.5"})
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings as s; from samizdat.news.hitpath import local_pages\n"
         "print(local_pages().seconds, s.SAMIZDAT_PAGE_CACHE_ACK_SECONDS)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.splitlines()[-1].split() == ["0", "0.5"]  # 0: no answers kept
