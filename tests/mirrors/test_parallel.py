"""The command line, end to end: workers give the same bytes as one process."""

import os
import subprocess
import sys
from pathlib import Path

from samizdat.mirrors.manifest import MANIFEST_NAME

from .test_incremental import assert_same_tree

ROOT = Path(__file__).resolve().parents[2]


def manage(env, *args):
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_export_site_with_two_workers_equals_one_process_and_verifies(tmp_path):
    env = dict(os.environ, SAMIZDAT_VAR_DIR=str(tmp_path / "var"),
               MEDIA_ROOT=str(tmp_path / "media"), SAMIZDAT_PAGE_CACHE="0",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               SAMIZDAT_MIRROR_SIGNING_KEY_FILE=str(tmp_path / "signing.key"))
    env.pop("SAMIZDAT_MIRROR_SIGNING_KEY", None)
    (tmp_path / "var").mkdir()
    manage(env, "migrate", "-v0")
    manage(env, "load_demo")
    manage(env, "mirror_keygen")
    two = manage(env, "export_site", str(tmp_path / "two"), "--jobs", "2")
    manage(env, "export_site", str(tmp_path / "one"), "--jobs", "1")
    assert "Exported" in two.stdout
    assert "\r" not in two.stderr  # no progress bar when not on a terminal
    assert_same_tree(tmp_path / "one", tmp_path / "two")
    assert (tmp_path / "two" / MANIFEST_NAME).is_file()
    verified = manage(env, "verify_export", str(tmp_path / "two"))
    assert verified.stdout.startswith("OK")
