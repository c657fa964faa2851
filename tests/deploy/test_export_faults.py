"""PostgreSQL stops in the middle of a static export: the export fails, nothing is signed.

The fault run of the reliability review stopped PostgreSQL for 8 s during a full
export; the export exited 0 with 97 of 219 URLs, signed, and `verify_export`
passed it. Here `manage.py export_site` runs against a PostgreSQL cluster of its
own (deploy/private_services.py) holding the demo site; the cluster is stopped
once the export has written its first pages, and started again 8 s later.
"""

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests import rendition_cache
from tests.mirrors.test_parallel import MANAGE, manage, snapshot, wait_until_writing

from .conftest import ROOT, require

pytestmark = pytest.mark.xdist_group("private-postgres")


@pytest.fixture(scope="module")
def demo_on_postgres(tmp_path_factory):
    require("psql")
    from private_services import PrivatePostgres, postgres_bin

    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    base = tmp_path_factory.mktemp("export-faults")
    pg = PrivatePostgres()
    pg.start()
    subprocess.run(["psql", f"{pg.url}/postgres", "-X", "-q", "-c", "CREATE DATABASE demo"],
                   check=True, capture_output=True, timeout=60)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DATABASE_URL", "TASKS_", "PYTEST", "REDIS_URL",
                                "SAMIZDAT_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "samizdat.settings", "DEBUG": "1",
                "DATABASE_URL": f"{pg.url}/demo", "SAMIZDAT_PAGE_CACHE": "0",
                "SAMIZDAT_VAR_DIR": str(base / "var"), "MEDIA_ROOT": str(base / "media"),
                "SAMIZDAT_MIRROR_SIGNING_KEY_FILE": str(base / "signing.key"),
                "SOURCE_DATE_EPOCH": "1767225600", "PYTHONDONTWRITEBYTECODE": "1",
                # The run's renditions (tests/manage_cached.py): pictures drawn once.
                rendition_cache.ENV: os.environ.get(rendition_cache.ENV, "")})
    (base / "var").mkdir()
    manage(env, "migrate", "-v0")
    manage(env, "mirror_keygen")
    # The previous export: of the site the migrations make (a second), not of the demo
    # (an export of the demo takes 15-50 s); what matters is that it stays as it was.
    pg.previous = base / "previous"
    manage(env, "export_site", str(pg.previous), "--no-progress")
    manage(env, "load_demo")
    pg.env = env
    yield pg
    pg.destroy()


def test_postgres_stopping_mid_export_fails_it_and_keeps_the_previous_export(
        demo_on_postgres, tmp_path):
    pg, env = demo_on_postgres, demo_on_postgres.env
    out = tmp_path / "out"
    shutil.copytree(pg.previous, out)
    before = snapshot(out)

    export = subprocess.Popen(
        [sys.executable, MANAGE, "export_site", str(out), "--jobs", "2", "--no-progress"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_writing(export, tmp_path)
        pg.stop()  # mid-export: pages are being written
        time.sleep(8)
        pg.start()
        stdout, stderr = export.communicate(timeout=300)
    finally:
        if export.poll() is None:
            export.kill()
            export.wait()

    assert export.returncode != 0, stdout
    last = stderr.strip().splitlines()[-1]
    assert "failed, so nothing was signed and the previous export is kept" in last, stderr[-3000:]
    assert snapshot(out) == before  # nothing of the failed export was swapped in or signed
    assert not list(tmp_path.glob(".out.tmp-*"))
    # The site itself is fine once PostgreSQL is back: the next export succeeds.
    manage(env, "export_site", str(out), "--jobs", "2", "--no-progress")
    assert manage(env, "verify_export", str(out)).stdout.startswith("OK")
