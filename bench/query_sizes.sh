#!/usr/bin/env bash
# SQL queries per render of each reader page type at several archive sizes
# (QUERY_SIZES, default "100 10000" generated articles on top of the demo), each in a
# fresh SQLite database; prints one Markdown row per size. Goal: at most 10
# per page, the same at every size.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
export DEBUG=0 LOG_LEVEL=ERROR SECRET_KEY=bench-only-not-a-secret-0123456789abcdef
export ALLOWED_HOSTS=127.0.0.1,localhost
echo "| generated articles | queries per render (article, section, home, tag, author; CPU ms per article render) |"
echo "|---|---|"
for size in ${QUERY_SIZES:-100 10000}; do
  WORK=$(mktemp -d /tmp/samizdat-queries.XXXXXX)
  export SAMIZDAT_VAR_DIR=$WORK/var
  mkdir -p "$SAMIZDAT_VAR_DIR"
  $PY manage.py migrate --no-input -v0
  $PY manage.py load_demo --articles "$size" >/dev/null
  echo "| $size | $($PY bench/queries.py) |"
  rm -rf "$WORK"
done
