#!/usr/bin/env bash
# `make bench`: the speed table in one run (bench/speed.py): nginx static, the app
# uncached, the in-app cache hit and the nginx micro-cache for an article and the home
# page on the production set-up (req/s and ratio to nginx static, same run); queries and
# CPU per render next to a flat reference template; export_site URLs/s and peak memory;
# Lighthouse mobile. Results in bench/results/speed-<UTC time>.md. About 20 minutes on
# a quiet 2-core machine with the defaults (36 at load average 12), most of it load_demo
# making the 1,000-article database for the export (EXPORT_SIZES="" skips it).
#
# Knobs (environment): QUERY_SIZES (default "100"), EXPORT_SIZES (default "1000"),
# STACK_ARTICLES (100), WRK_SECONDS (5), WRK_ROUNDS (2), WRK_CONNECTIONS (16),
# BENCH_PORT (9300: uses 9300-9305), BENCH_DATABASE (samizdat_bench), BENCH_POSTGRES,
# BENCH_REDIS (redis://127.0.0.1:6379/3). The big sizes of the table:
#   QUERY_SIZES="100 10000" EXPORT_SIZES="1000 10000" make bench
# (load_demo --articles generates about 200 articles a second, so 10,000 adds a minute or
# two per size to make the database, plus the export itself).
#
# The older benches run when asked: BENCH_ARTICLE_LOAD=1 (bench/article_load.sh, SQLite,
# app alone), BENCH_EXPORT=1 (bench/export_bench.py: export against the sequential test
# client, incremental export), BENCH_STORM=1 (bench/webhook_storm.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  .venv/bin/python bench/speed.py "$@"
else
  echo "bench/speed.py needs PostgreSQL and Redis on 127.0.0.1 (the production set-up); sizes only"
  .venv/bin/python bench/speed.py --no-pages "$@"
fi
if [ "${BENCH_ARTICLE_LOAD:-0}" = 1 ]; then bash bench/article_load.sh; fi
if [ "${BENCH_EXPORT:-0}" = 1 ]; then
  .venv/bin/python bench/export_bench.py --articles "${EXPORT_ARTICLES:-1000}" --jobs 2
fi
if [ "${BENCH_STORM:-0}" = 1 ]; then .venv/bin/python bench/webhook_storm.py; fi
