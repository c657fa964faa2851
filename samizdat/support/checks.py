"""System checks for donor data: no production start without real encryption keys.

Registered without `deploy=True`, so `migrate`, `runserver`, `check` and every
management command that runs checks stop with the error, not only `check --deploy`.
"""

import os

from django.conf import settings
from django.core.checks import Error, register

from samizdat.core.crypto import DonorKeyError, _fernets, _index_key


@register("samizdat_support")
def check_donor_keys(app_configs=None, **kwargs):
    errors = []
    keys = list(getattr(settings, "SAMIZDAT_DONOR_KEYS", []) or [])
    if not keys:
        errors.append(Error(
            "SAMIZDAT_DONOR_KEYS is not set: donor e-mail addresses cannot be encrypted.",
            hint="Generate a key with `manage.py generate_donor_key` and put it in the "
                 "environment (docs/deploy.md, deploy/samizdat.env.example).",
            id="samizdat_support.E001",
        ))
    else:
        try:
            _fernets(keys)
        except DonorKeyError as exc:
            errors.append(Error(str(exc), id="samizdat_support.E002"))
    try:
        _index_key()
    except DonorKeyError as exc:
        errors.append(Error(str(exc), id="samizdat_support.E003"))
    return errors


@register("samizdat_support", deploy=True)
def check_provider_deadline(app_configs=None, **kwargs):
    """A provider that hangs must get the reader our "slow" page, not a killed worker.
    GUNICORN_TIMEOUT is read from the same environment file as deploy/gunicorn.conf.py."""
    budget = float(getattr(settings, "SAMIZDAT_PROVIDER_REQUEST_SECONDS", 20))
    gunicorn = float(os.environ.get("GUNICORN_TIMEOUT", "30"))
    if budget + 5 > gunicorn:
        return [Error(
            f"SAMIZDAT_PROVIDER_REQUEST_SECONDS ({budget:g}) leaves less than 5 s of "
            f"gunicorn's timeout (GUNICORN_TIMEOUT={gunicorn:g}): a slow payment provider "
            "would get web workers killed and readers a bare error page.",
            hint="Lower SAMIZDAT_PROVIDER_REQUEST_SECONDS or raise GUNICORN_TIMEOUT.",
            id="samizdat_support.E004")]
    return []


@register("samizdat_support")
def check_btcpay_subscriptions(app_configs=None, **kwargs):
    """A mistyped BTCPAY_SUBSCRIPTIONS would otherwise fail each crypto plan's checkout."""
    from .providers.btcpay_subscriptions import MODES

    value = str(getattr(settings, "BTCPAY_SUBSCRIPTIONS", "auto") or "auto").lower()
    if value not in MODES:
        return [Error(
            f"BTCPAY_SUBSCRIPTIONS is {value!r}: it must be one of {', '.join(MODES)}.",
            hint="auto uses BTCPay's Subscriptions API where the server has it "
                 "(docs/payments.md).",
            id="samizdat_support.E005")]
    return []
