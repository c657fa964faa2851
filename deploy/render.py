#!/usr/bin/env python3
"""Render deploy/ templates: replace @NAME@ placeholders, refuse leftovers.

    python3 deploy/render.py nginx/samizdat.conf.in -o /etc/nginx/sites-enabled/samizdat.conf \
        --set SERVER_NAME=news.example.org --set TLS_CERT=/etc/letsencrypt/live/...

Values come from --set, then the environment (SAMIZDAT_DEPLOY_<NAME>), then
the production defaults below. Standard library only, so it runs anywhere.
"""

import argparse
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")

DEFAULTS = {
    "SERVER_NAME": "news.example.org",
    "HTTP_LISTEN": "80",
    "HTTPS_LISTEN": "443",
    "PURGE_LISTEN": "127.0.0.1:8079",
    "APP_SERVERS": "127.0.0.1:8001,127.0.0.1:8002",
    "MICROCACHE_SECONDS": "10",
    "CACHE_DIR": "/var/cache/nginx/samizdat",
    "STATIC_ROOT": "/srv/samizdat/var/static",
    "MEDIA_ROOT": "/srv/samizdat/var/media",
    "TLS_CERT": "/etc/letsencrypt/live/news.example.org/fullchain.pem",
    "TLS_KEY": "/etc/letsencrypt/live/news.example.org/privkey.pem",
    "ACCESS_LOG": "off",
    "ERROR_PAGES": "/srv/samizdat/deploy/nginx/errors",
    "RUN_DIR": "/run/samizdat-nginx",
    "SITE_CONF": "/etc/nginx/sites-enabled/samizdat.conf",
    "NGINX_MODULES": "/usr/lib/nginx/modules",
}


def derived(values):
    """Values computed from others, so a template never repeats a port."""
    port = values["HTTPS_LISTEN"].rsplit(":", 1)[-1]
    servers = [s.strip() for s in values["APP_SERVERS"].split(",") if s.strip()]
    if not servers:
        raise ValueError("APP_SERVERS names no app process")
    return {
        "HTTPS_PORT_SUFFIX": "" if port == "443" else f":{port}",
        "UPSTREAM_SERVERS": "\n".join(f"    server {s} max_fails=3 fail_timeout=5s;"
                                      for s in servers),
    }


def render(template_text, overrides=None):
    values = dict(DEFAULTS)
    for name in DEFAULTS:
        env = os.environ.get(f"SAMIZDAT_DEPLOY_{name}")
        if env is not None:
            values[name] = env
    values.update(overrides or {})
    values.update(derived(values))
    missing = sorted({m for m in PLACEHOLDER.findall(template_text) if m not in values})
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template_text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", help="path, absolute or relative to deploy/")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not PLACEHOLDER.fullmatch(f"@{name}@"):
            parser.error(f"--set expects NAME=VALUE with an upper-case NAME, got {item!r}")
        overrides[name] = value
    path = Path(args.template)
    if not path.is_absolute() and not path.exists():
        path = HERE / path
    try:
        text = render(path.read_text(), overrides)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"render.py: {exc}\n")
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
