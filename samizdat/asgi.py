import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
application = get_asgi_application()

from samizdat.production import refuse_to_serve_misconfigured  # noqa: E402 (after setup)

refuse_to_serve_misconfigured()
