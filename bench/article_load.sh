#!/usr/bin/env bash
# Load one article page with wrk: uncached and from the in-app page cache, each
# right after nginx serving the same page saved as a static file.
#
# Seeds the demo plus $ARTICLES generated articles into a fresh SQLite database
# under a temporary folder, serves it with gunicorn ($WORKERS sync workers,
# DEBUG off) on 127.0.0.1:$APP_PORT and nginx on 127.0.0.1:$NGINX_PORT.
# Everything stays on loopback. Results: bench/results/article-load-<UTC time>.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ARTICLES=${ARTICLES:-1000}
WORKERS=${WORKERS:-2}
APP_PORT=${APP_PORT:-8111}
NGINX_PORT=${NGINX_PORT:-8112}
WRK_ARGS=${WRK_ARGS:--t2 -c32 -d10s}
WARMUP_ARGS=${WARMUP_ARGS:--t1 -c8 -d3s}
ONE_CONN_ARGS=${ONE_CONN_ARGS:--t1 -c1 -d10s}  # service time without queueing
PAGE=/news/river-port-strike-enters-third-week/

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "bench needs $tool (apt-get install $tool)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/samizdat-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export SAMIZDAT_VAR_DIR=$WORK/var DEBUG=0 LOG_LEVEL=ERROR
export SECRET_KEY=bench-only-not-a-secret-0123456789abcdef ALLOWED_HOSTS=127.0.0.1,localhost
mkdir -p "$SAMIZDAT_VAR_DIR"
PY=$ROOT/.venv/bin/python

echo "== seeding (demo + $ARTICLES generated articles) in $WORK"
$PY manage.py migrate --no-input -v0
$PY manage.py load_demo >/dev/null
QUERIES_SMALL=$($PY bench/queries.py)
start=$(date +%s)
$PY manage.py load_demo --articles "$ARTICLES" >/dev/null
seed_seconds=$(( $(date +%s) - start ))
QUERIES_LARGE=$($PY bench/queries.py)
echo "   queries per render: before $QUERIES_SMALL, after $QUERIES_LARGE (seeding took ${seed_seconds}s)"

start_gunicorn() {  # $1: SAMIZDAT_PAGE_CACHE value
  SAMIZDAT_PAGE_CACHE=$1 "$ROOT/.venv/bin/gunicorn" -w "$WORKERS" -b "127.0.0.1:$APP_PORT" \
    --log-level warning samizdat.wsgi >"$WORK/gunicorn.log" 2>&1 &
  GUNICORN_PID=$!
  PIDS+=("$GUNICORN_PID")
  for _ in $(seq 1 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$APP_PORT$PAGE" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "gunicorn did not start:" >&2; cat "$WORK/gunicorn.log" >&2; exit 1
}
stop_gunicorn() { kill "$GUNICORN_PID"; wait "$GUNICORN_PID" 2>/dev/null || true; }

# The static copy: the page exactly as the application serves it.
start_gunicorn 0
mkdir -p "$WORK/html$PAGE"
curl -fsS "http://127.0.0.1:$APP_PORT$PAGE" -o "$WORK/html$PAGE/index.html"
stop_gunicorn
PAGE_BYTES=$(wc -c <"$WORK/html$PAGE/index.html")

cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 100000;
  open_file_cache max=1000;
  client_body_temp_path $WORK/nginx-tmp; proxy_temp_path $WORK/nginx-tmp;
  fastcgi_temp_path $WORK/nginx-tmp; uwsgi_temp_path $WORK/nginx-tmp; scgi_temp_path $WORK/nginx-tmp;
  default_type text/html;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/html;
    location / { try_files \$uri \$uri/index.html =404; }
  }
}
CONF
mkdir -p "$WORK/nginx-tmp"

run_wrk() {  # $1 label, $2 url [, $3 wrk args] → appends "label req/s p50 p99" to $WORK/rows
  wrk $WARMUP_ARGS "$2" >/dev/null
  wrk ${3:-$WRK_ARGS} --timeout 10s --latency "$2" >"$WORK/wrk-$1.txt"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-$1.txt")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk-$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk-$1.txt")
  errors=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk-$1.txt" | tr -s " \n" "_" || true)
  echo "$1 $rps $p50 $p99 ${errors:-none}" >>"$WORK/rows"
  echo "   $1: $rps req/s, p50 $p50, p99 $p99, errors: ${errors:-none}"
}

nginx_round() {  # $1 label
  nginx -c "$WORK/nginx.conf" -p "$WORK" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT$PAGE" && break; sleep 0.1; done
  run_wrk "$1" "http://127.0.0.1:$NGINX_PORT$PAGE"
  kill -QUIT "$pid"; wait "$pid" 2>/dev/null || true
}

echo "== load: wrk $WRK_ARGS (warm-up wrk $WARMUP_ARGS) on $PAGE ($PAGE_BYTES bytes)"
nginx_round nginx-1
start_gunicorn 0
run_wrk uncached "http://127.0.0.1:$APP_PORT$PAGE"
run_wrk uncached-1conn "http://127.0.0.1:$APP_PORT$PAGE" "$ONE_CONN_ARGS"
stop_gunicorn
nginx_round nginx-2
start_gunicorn 1
curl -fsS -D - -o /dev/null "http://127.0.0.1:$APP_PORT$PAGE" | grep -i "^x-page-cache" >&2 || true
run_wrk cached "http://127.0.0.1:$APP_PORT$PAGE"
run_wrk cached-1conn "http://127.0.0.1:$APP_PORT$PAGE" "$ONE_CONN_ARGS"
stop_gunicorn

mkdir -p bench/results
OUT=bench/results/article-load-$(date -u +%Y%m%dT%H%M%SZ).md
{
  echo "# Article page under load, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- software: $(nginx -v 2>&1 | cut -d' ' -f3), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), gunicorn $("$ROOT/.venv/bin/gunicorn" --version | awk '{print $NF}' | tr -d ')'), Python $($PY -c 'import platform; print(platform.python_version())'), SQLite"
  echo "- command: \`make bench\` (ARTICLES=$ARTICLES WORKERS=$WORKERS WRK_ARGS='$WRK_ARGS' WARMUP_ARGS='$WARMUP_ARGS' ONE_CONN_ARGS='$ONE_CONN_ARGS')"
  echo "- page: $PAGE, $PAGE_BYTES bytes of HTML; seeding $ARTICLES articles took ${seed_seconds}s"
  echo "- SQL queries per render (page cache off, renditions made): before seeding $QUERIES_SMALL; after $QUERIES_LARGE"
  echo
  echo "(*-1conn rows use ONE_CONN_ARGS; their ratio is to the same nginx run at WRK_ARGS.)"
  echo
  echo "| run | req/s | p50 | p99 | errors | ratio to the nginx run before it |"
  echo "|---|---|---|---|---|---|"
  awk 'BEGIN{n=0} {if ($1 ~ /^nginx/) {n=$2; r="1"} else {r=sprintf("%.3f %%", 100*$2/n)}; printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, r}' "$WORK/rows"
} >"$OUT"
cat "$OUT"
echo "== written to $OUT"
