#!/usr/bin/env bash
# `make bench`: the article page under load (bench/article_load.sh), then the webhook storm
# (bench/webhook_storm.py) when PostgreSQL and Redis are up; results in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/article_load.sh "$@"
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  .venv/bin/python bench/webhook_storm.py
else
  echo "webhook storm skipped: needs PostgreSQL and Redis on 127.0.0.1"
fi
