"""System checks for donor data: no production start without real encryption keys.

Registered without `deploy=True`, so `migrate`, `runserver`, `check` and every
management command that runs checks stop with the error, not only `check --deploy`.
"""

from django.conf import settings
from django.core.checks import Error, register

from .crypto import DonorKeyError, _fernets, _index_key


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
