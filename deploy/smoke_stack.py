#!/usr/bin/env python3
"""Bring up the production set-up on loopback: nginx (TLS, micro-cache, purge)
in front of two gunicorn app processes sharing PostgreSQL and Redis, plus a
separate task worker. Used by `make prod-smoke` (tests/deploy/test_prod_smoke.py)
and the load/fault benches (bench/load_mixed.py, bench/faults_postgres.py).

    .venv/bin/python deploy/smoke_stack.py up      # start, print URLs, wait for Ctrl-C

Production settings throughout (SAMIZDAT_PRODUCTION=1, DEBUG=0, HTTPS, Redis,
PostgreSQL, ManifestStaticFilesStorage); only the TLS certificate is
self-signed and every port is on 127.0.0.1. Standard library only, apart from
the project's own virtualenv it drives.
"""

import base64
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

sys.path.insert(0, str(DEPLOY))
from render import render  # noqa: E402


@dataclass
class Ports:
    """Fixed ports for `smoke_stack.py up` (a person types them); start() without ports
    takes free ones (Ports.free()), so stacks can run side by side."""

    https: int = 8160
    http: int = 8161
    purge: int = 8162
    app_a: int = 8163
    app_b: int = 8164
    private_postgres: int = 8170

    @classmethod
    def free(cls):
        from private_services import free_port

        return cls(*(free_port() for _ in range(6)))


@dataclass
class Stack:
    """A running set-up; `stop()` ends every process it started, by pid."""

    run_dir: Path
    env: dict
    ports: Ports
    database: str
    postgres_url: str
    redis: object = None  # a PrivateRedis the stack started, stopped at teardown
    processes: dict = field(default_factory=dict)
    logs: list = field(default_factory=list)
    # Restarted when they exit, as systemd's Restart=always does: name -> argv factory.
    supervised: dict = field(default_factory=dict)
    restarts: dict = field(default_factory=dict)
    _supervisor: threading.Thread = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    host = "localhost"

    @property
    def public_origin(self):
        return f"https://{self.host}:{self.ports.https}"

    # --- processes -------------------------------------------------------------
    def _spawn(self, name, argv, env=None):
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        proc = subprocess.Popen(argv, cwd=ROOT, env=env or self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = proc
        return proc

    def start_app(self, name, port):
        env = dict(self.env, SAMIZDAT_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2",
                   GUNICORN_PROC_NAME=f"samizdat-smoke-{name}")
        self._spawn(name, [GUNICORN, "-c", str(DEPLOY / "gunicorn.conf.py")], env)
        wait_for(lambda: self.get_direct(port, "/privacy/")[0] == 200, f"{name} on {port}")

    def start_worker(self, name="worker", supervise=True):
        """A task worker; supervised (restarted 1 s after it exits) unless told not to."""
        def argv():
            return [PYTHON, "manage.py", "db_worker", "--interval", "0.2", "--no-reload",
                    "--no-startup-delay", "--worker-id", f"smoke-{name}-{secrets.token_hex(4)}"]

        proc = self._spawn(name, argv())
        if supervise:
            self.supervised[name] = argv
            if self._supervisor is None:
                self._supervisor = threading.Thread(target=self._supervise, daemon=True)
                self._supervisor.start()
        return proc

    def _supervise(self):
        while not self._stopping.wait(0.25):
            for name, argv in list(self.supervised.items()):
                proc = self.processes.get(name)
                if proc is None or proc.poll() is None:
                    continue
                time.sleep(1)  # systemd's RestartSec
                if self._stopping.is_set() or name not in self.supervised:
                    return
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self._spawn(name, argv())

    def start_nginx(self):
        self._spawn("nginx", ["nginx", "-c", str(self.run_dir / "nginx.conf"),
                              "-p", str(self.run_dir)])
        wait_for(lambda: self.get("/privacy/")[0] == 200, "nginx")

    def stop_process(self, name, sig=signal.SIGTERM, timeout=20):
        self.supervised.pop(name, None)
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def kill_process(self, name):
        """SIGKILL: the process gets no chance to finish anything (and stays down)."""
        self.stop_process(name, signal.SIGKILL)

    def crash_process(self, name):
        """SIGKILL, as the OOM killer would: a supervised process comes back by itself."""
        proc = self.processes[name]
        proc.kill()
        proc.wait(10)
        return proc.pid

    def stop(self):
        self._stopping.set()
        for name in list(self.processes):
            self.stop_process(name, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for log in self.logs:
            log.close()

    # --- HTTP --------------------------------------------------------------------
    def get(self, path, headers=None):
        """GET through nginx over TLS: (status, headers, body)."""
        context = ssl.create_default_context(cafile=str(self.run_dir / "tls.crt"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.ports.https, timeout=30,
                                           context=context)
        conn._server_hostname = self.host  # certificate is for localhost
        return _request(conn, "GET", path, {"Host": f"{self.host}:{self.ports.https}",
                                            **(headers or {})})

    def get_direct(self, port, path, headers=None):
        """GET from one app process, as nginx would forward it."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        return _request(conn, "GET", path, {**self.forwarded_headers(), **(headers or {})})

    def forwarded_headers(self):
        return {"Host": f"{self.host}:{self.ports.https}", "X-Forwarded-Proto": "https",
                "X-Real-IP": "127.0.0.1"}

    # --- management commands and SQL --------------------------------------------
    def manage(self, *args, check=True, timeout=600):
        result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode:
            # The command's own words, not only its exit status: a failed start is
            # diagnosed from this message alone.
            raise RuntimeError(f"manage.py {' '.join(args)} failed "
                               f"({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    def shell(self, code, timeout=120):
        result = self.manage("shell", "-c", code, timeout=timeout, check=False)
        if result.returncode:
            raise RuntimeError(f"manage.py shell failed:\n{code}\n{result.stderr}")
        return result.stdout

    def sql(self, query):
        result = subprocess.run(
            ["psql", self.env["DATABASE_URL"], "-X", "-q", "-t", "-A", "-F", "\t",
             "-c", query], capture_output=True, text=True, check=True, timeout=60)
        return [line.split("\t") for line in result.stdout.splitlines() if line]


def _request(conn, method, path, headers):
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except OSError as exc:
        return 0, {}, str(exc).encode()
    finally:
        conn.close()


def wait_for(predicate, what, timeout=90, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready within {timeout} s")


def port_is_free(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def self_signed_certificate(run_dir):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(run_dir / "tls.key"), "-out", str(run_dir / "tls.crt")],
        check=True, capture_output=True, timeout=60)


def render_nginx(run_dir, ports, app_ports, static_root, media_root, microcache_seconds="10"):
    values = {
        "SERVER_NAME": "localhost",
        "HTTP_LISTEN": f"127.0.0.1:{ports.http}",
        "HTTPS_LISTEN": f"127.0.0.1:{ports.https}",
        "PURGE_LISTEN": f"127.0.0.1:{ports.purge}",
        "APP_SERVERS": ",".join(f"127.0.0.1:{p}" for p in app_ports),
        "MICROCACHE_SECONDS": microcache_seconds,
        "CACHE_DIR": str(run_dir / "cache"),
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "TLS_CERT": str(run_dir / "tls.crt"),
        "TLS_KEY": str(run_dir / "tls.key"),
        # Buffered, as a busy site would log (production's default is no access log).
        "ACCESS_LOG": f"{run_dir / 'access.log'} samizdat_noip buffer=64k flush=1s",
        "RUN_DIR": str(run_dir),
        "SITE_CONF": str(run_dir / "samizdat.conf"),
        "ERROR_PAGES": str(DEPLOY / "nginx" / "errors"),
    }
    (run_dir / "samizdat.conf").write_text(
        render((DEPLOY / "nginx" / "samizdat.conf.in").read_text(), values))
    (run_dir / "nginx.conf").write_text(
        render((DEPLOY / "nginx" / "standalone.conf.in").read_text(), values))


def recreate_database(admin_url, name):
    for statement in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                      f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin_url, "-X", "-q", "-c", statement], check=True,
                       capture_output=True, timeout=60)


def drop_database(admin_url, name):
    subprocess.run(["psql", admin_url, "-X", "-q", "-c",
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   capture_output=True, timeout=60)


def start(ports=None, database=None, postgres_url="postgres://postgres@127.0.0.1:5432",
          redis_url=None, articles=0, microcache_seconds="10", extra_env=None):
    """Build everything from scratch and start it; returns a running Stack.

    Nothing is shared with another stack unless asked for: by default the ports are free
    ones, the database is new ("samizdat_smoke_<random>", dropped at teardown) and Redis
    is a server of the stack's own. With a fixed database name, a second stack started
    meanwhile (another checkout's smoke test or bench) dropped and recreated the first
    one's database while the first was migrating: "database samizdat_smoke does not exist
    ... It seems to have just been dropped". The ports did not guard against it: they are
    bound a minute later, after the migrations and the demo.

    `extra_env` overrides the production environment (the benches use it for
    a settings module with their own limits)."""
    ports = ports or Ports.free()
    database = database or f"samizdat_smoke_{secrets.token_hex(4)}"
    private_redis = None
    if redis_url is None:
        from private_services import PrivateRedis

        private_redis = PrivateRedis()
        private_redis.start()
        redis_url = private_redis.url
    busy = [p for p in (ports.https, ports.http, ports.purge, ports.app_a, ports.app_b)
            if not port_is_free(p)]
    if busy:
        if private_redis is not None:
            private_redis.destroy()
        raise RuntimeError(f"ports already in use: {busy}")
    run_dir = Path(tempfile.mkdtemp(prefix="samizdat-prod-"))
    run_dir.chmod(0o755)  # nginx workers read static files from here
    var_dir = run_dir / "var"
    var_dir.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "SAMIZDAT_", "SECURE_", "DATABASE_URL", "REDIS_URL",
                                "TASKS_", "PYTEST"))}
    env.update({
        "SAMIZDAT_PRODUCTION": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Fernet key: 32 random bytes, url-safe base64 (what generate_donor_key prints).
        "SAMIZDAT_DONOR_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "SAMIZDAT_DONOR_INDEX_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SITE_URL": f"https://localhost:{ports.https}",
        "CSRF_TRUSTED_ORIGINS": f"https://localhost:{ports.https}",
        "DATABASE_URL": f"{postgres_url}/{database}",
        "REDIS_URL": redis_url,
        "SAMIZDAT_HTTPS": "1",
        "SAMIZDAT_BEHIND_PROXY": "1",
        "FRONTEND_CACHE_PURGE_URL": f"http://127.0.0.1:{ports.purge}",
        "SAMIZDAT_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "MEDIA_ROOT": str(var_dir / "media"),
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
        "LOG_LEVEL": "WARNING",
        # Production refuses the console backend; nothing here sends mail (port 9: discard).
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": "9",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SAMIZDAT_TRUSTED_PROXIES": "1",
        # A killed worker's task is taken back after this many seconds (default 60).
        "SAMIZDAT_WORKER_LEASE_SECONDS": "10",
    })
    env.update(extra_env or {})
    stack = Stack(run_dir=run_dir, env=env, ports=ports, database=database,
                  postgres_url=postgres_url, redis=private_redis)
    try:
        recreate_database(f"{postgres_url}/postgres", database)
        subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True,
                       capture_output=True, timeout=30)
        stack.manage("migrate", "--no-input")
        stack.manage("collectstatic", "--no-input")
        demo_args = ["load_demo"] + (["--articles", str(articles)] if articles else [])
        # Index and reference jobs of the demo content run inline, so the worker
        # starts with an empty queue (as after a real deploy).
        demo = subprocess.run(
            [PYTHON, "manage.py", *demo_args], cwd=ROOT, timeout=1800, capture_output=True,
            text=True,
            env=dict(env, TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend"))
        if demo.returncode:
            raise RuntimeError(f"load_demo failed:\n{demo.stderr[-3000:]}")
        # save(), not update(): Wagtail caches site root URLs and clears them on save.
        stack.shell(
            "from wagtail.models import Site\n"
            "site = Site.objects.get(is_default_site=True)\n"
            f"site.hostname, site.port = 'localhost', {ports.https}\n"
            "site.save()\n")
        self_signed_certificate(run_dir)
        render_nginx(run_dir, ports, (ports.app_a, ports.app_b), var_dir / "static",
                     var_dir / "media", microcache_seconds)
        check = subprocess.run(["nginx", "-t", "-c", str(run_dir / "nginx.conf"),
                                "-p", str(run_dir)], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(check.stderr)
        stack.start_app("app_a", ports.app_a)
        stack.start_app("app_b", ports.app_b)
        stack.start_worker()
        stack.start_nginx()
    except BaseException:
        stack.stop()  # its logs stay in run_dir
        if stack.redis is not None:
            stack.redis.destroy()
        drop_database(f"{postgres_url}/postgres", database)
        raise
    return stack


def teardown(stack, keep=False):
    stack.stop()
    if stack.redis is not None:
        stack.redis.destroy()
    if not keep:
        drop_database(f"{stack.postgres_url}/postgres", stack.database)
        shutil.rmtree(stack.run_dir, ignore_errors=True)


def main(argv):
    if argv[:1] != ["up"]:
        sys.stdout.write(__doc__)
        return 2
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    stack = start(ports=Ports())
    sys.stdout.write(json.dumps({"site": stack.public_origin + "/", "run_dir": str(stack.run_dir),
                                 "pids": {n: p.pid for n, p in stack.processes.items()}},
                                indent=2) + "\n")
    sys.stdout.flush()
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        teardown(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
