"""gunicorn settings for one Samizdat app process (`gunicorn -c deploy/gunicorn.conf.py`).

Run two or more of these on different ports behind nginx; they share
PostgreSQL and Redis, so any of them can answer any request. Sync workers:
measured best on this stack (research/performance-anchors.md).
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
# Recycle workers now and then, staggered, so a slow leak never matters.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Only our nginx on loopback may say the request was HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No access log: nginx keeps the only one, without readers' addresses.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "samizdat")
