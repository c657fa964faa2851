#!/usr/bin/env bash
# `make bench`: the article page under load (bench/article_load.sh), results in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash bench/article_load.sh "$@"
