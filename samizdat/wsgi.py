import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
django_application = get_wsgi_application()

from samizdat.production import refuse_to_serve_misconfigured  # noqa: E402 (after setup)

refuse_to_serve_misconfigured()

# gunicorn preloads this module in its master and forks the workers: no database
# connection opened while starting may be inherited and shared by them.
from django.db import connections  # noqa: E402

connections.close_all()

# Page cache hits are answered before Django's middleware and URL resolver.
from samizdat.news.hitpath import wrap  # noqa: E402 (after setup)

application = wrap(django_application)
