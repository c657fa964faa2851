import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
application = get_wsgi_application()


def _refuse_to_serve_without_donor_keys():
    """gunicorn runs no system checks: an app process without the donor-data keys
    would otherwise start and fail at the first contribution, and one with demo keys,
    a test mail backend or the demo provider would serve (samizdat/production.py)."""
    from samizdat.security.checks import check_production_configuration
    from samizdat.support.checks import check_donor_keys

    errors = check_donor_keys() + check_production_configuration()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))


_refuse_to_serve_without_donor_keys()
