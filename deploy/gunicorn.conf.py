"""gunicorn settings for one Samizdat app process (`gunicorn -c deploy/gunicorn.conf.py`).

Run two or more of these on different ports behind nginx; they share
PostgreSQL and Redis, so any of them can answer any request.

gthread workers, 4 threads each, chosen by measurement on the 2-core machine
(docs/deploy.md, "Worker class"): page cache hits are 2-3x faster than with
sync workers (which close the connection after every answer, so nginx and
readers reconnect each time), uncached renders are no slower, and a donor
waiting on a slow payment provider holds one thread, not the whole process.
"""

import multiprocessing
import os

wsgi_app = "samizdat.wsgi:application"
bind = os.environ.get("SAMIZDAT_BIND", "127.0.0.1:8001").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count())))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Load the application once in the master and fork warm workers: a worker starts
# with Django, the templates and the URL resolver ready, and shares their memory
# with its siblings. New code then needs a restart, not a HUP (docs/deploy.md).
preload_app = True
# No recycling every N requests: each recycle threw away a warm worker (its loader,
# compiled templates, resolver), measured 339 → 465 req/s of page cache hits without
# it. GUNICORN_MAX_REQUESTS=N turns it back on should a leak appear.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Only our nginx on loopback may say the request was HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No access log: nginx keeps the only one, without readers' addresses.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "samizdat")
