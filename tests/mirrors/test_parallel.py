"""The command line, end to end, on a demo site in its own SQLite file: workers give
the same bytes as one process; Ctrl-C and a full disk stop an export cleanly and keep
the previous one.

The commands run through tests/manage_cached.py (manage.py with the run's rendition
cache), and the module's tests run on one xdist worker: the demo site and its export
are made once, not once on each worker that runs one of these tests (80-100 s each on
a loaded 2-core machine)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from samizdat.mirrors.manifest import MANIFEST_NAME

from .test_incremental import assert_same_tree

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "tests" / "manage_cached.py")

pytestmark = pytest.mark.xdist_group("cli-demo")


def manage(env, *args):
    done = subprocess.run([sys.executable, MANAGE, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    """Environment of a migrated demo site with a signing key (built once per module)."""
    base = tmp_path_factory.mktemp("cli")
    env = dict(os.environ, SAMIZDAT_VAR_DIR=str(base / "var"),
               MEDIA_ROOT=str(base / "media"), SAMIZDAT_PAGE_CACHE="0",
               DATABASE_URL=f"sqlite:///{base / 'db.sqlite3'}",
               SAMIZDAT_MIRROR_SIGNING_KEY_FILE=str(base / "signing.key"),
               # The export time is signed: reproducible builds fix it.
               SOURCE_DATE_EPOCH="1767225600")
    env.pop("SAMIZDAT_MIRROR_SIGNING_KEY", None)
    (base / "var").mkdir()
    manage(env, "migrate", "-v0")
    manage(env, "load_demo")
    manage(env, "mirror_keygen")
    return env


@pytest.fixture(scope="module")
def exported(demo_env, tmp_path_factory):
    """An export of that site by two workers, made once per module (an export of the demo
    takes 15-50 s): the tests compare with it, copy it as the previous export, measure it.
    Returns (folder, the finished command)."""
    folder = tmp_path_factory.mktemp("exported") / "two"
    return folder, manage(demo_env, "export_site", str(folder), "--jobs", "2")


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in Path(folder).rglob("*") if p.is_file()}


def wait_until_writing(export, parent):
    """Return once the running `export` has written pages into its temporary folder under
    `parent`: its workers are busy then (a fixed sleep came too early on a loaded machine,
    during Django's start-up, before any export code ran)."""
    ends = time.monotonic() + 120
    while not any(True for tmp in parent.glob(".out.tmp-*") for _ in tmp.rglob("*.html")):
        assert export.poll() is None, export.communicate()
        assert time.monotonic() < ends, "the export wrote no page in 120 s"
        time.sleep(0.05)


def test_export_site_with_two_workers_equals_one_process_and_verifies(demo_env, exported,
                                                                      tmp_path):
    two_workers, done = exported
    manage(demo_env, "export_site", str(tmp_path / "one"), "--jobs", "1")
    assert "Exported" in done.stdout
    assert "\r" not in done.stderr  # no progress bar when not on a terminal
    assert_same_tree(tmp_path / "one", two_workers)
    assert (two_workers / MANIFEST_NAME).is_file()
    verified = manage(demo_env, "verify_export", str(two_workers))
    assert verified.stdout.startswith("OK")


def test_ctrl_c_stops_the_export_and_keeps_the_previous_one(demo_env, exported, tmp_path):
    """The pool used to be joined after its workers also got SIGINT: it hung until killed."""
    out = tmp_path / "out"
    shutil.copytree(exported[0], out)  # the previous export
    before = snapshot(out)
    export = subprocess.Popen(
        [sys.executable, MANAGE, "export_site", str(out), "--jobs", "2", "--no-progress"],
        cwd=ROOT, env=demo_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    wait_until_writing(export, tmp_path)
    # Ctrl-C in a terminal reaches the whole foreground process group.
    os.killpg(export.pid, signal.SIGINT)
    try:
        _stdout, stderr = export.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(export.pid, signal.SIGKILL)
        pytest.fail("export_site still running 30 s after Ctrl-C")
    assert export.returncode != 0
    assert "Traceback" not in stderr, stderr[-3000:]
    assert snapshot(out) == before
    assert "interrupted" in stderr and "previous export is kept" in stderr
    assert not list(tmp_path.glob(".out.tmp-*"))  # no half-written folder


def can_mount_tmpfs():
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--map-root-user", "--propagation",
                            "private", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


FULL_DISK_SCRIPT = r"""
set -u
mount -t tmpfs -o size="$SIZE" tmpfs "$DISK"
cp -r "$PREVIOUS" "$DISK/out" 2>"$LOGS/first.err"  # the previous export, made by export_site
echo "first=$?"
(cd "$DISK" && find out -type f -exec sha256sum {} + | sort) > "$LOGS/before.sums"
"$PYTHON" "$MANAGE" export_site "$DISK/out" --jobs 2 --no-progress >/dev/null 2>"$LOGS/second.err"
echo "second=$?"
(cd "$DISK" && find out -type f -exec sha256sum {} + | sort) > "$LOGS/after.sums"
ls -A "$DISK" > "$LOGS/entries"
"""


@pytest.mark.skipif(not can_mount_tmpfs(), reason="cannot mount a small tmpfs here "
                    "(needs unshare and mount in a user namespace)")
def test_a_full_disk_fails_the_export_with_one_line_and_keeps_the_previous_one(
        demo_env, exported, tmp_path):
    """A small disk that holds one export and not a second copy beside it: the second
    export used to exit 0 with hundreds of warnings and pages missing, signed. The first
    export is the module's, copied onto the disk (as the Ctrl-C test copies it)."""
    reference = exported[0]
    size_kb = sum(p.stat().st_size for p in reference.rglob("*") if p.is_file()) // 1024
    disk, logs = tmp_path / "disk", tmp_path / "logs"
    disk.mkdir()
    logs.mkdir()
    env = dict(demo_env, SIZE=f"{size_kb * 3 // 2 + 512}k", DISK=str(disk), LOGS=str(logs),
               PYTHON=sys.executable, MANAGE=MANAGE, PREVIOUS=str(reference))
    run = subprocess.run(["unshare", "--mount", "--map-root-user", "--propagation", "private",
                          "bash", "-c", FULL_DISK_SCRIPT], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert "first=0" in run.stdout, (run.stdout, (logs / "first.err").read_text()[-3000:])
    assert "second=0" not in run.stdout and "second=" in run.stdout, run.stdout
    error = (logs / "second.err").read_text()
    assert "Traceback" not in error, error[-3000:]
    assert "No space left on device" in error
    assert len(error.strip().splitlines()) == 1, error[-3000:]
    assert (logs / "after.sums").read_text() == (logs / "before.sums").read_text()
    assert [name for name in (logs / "entries").read_text().split()
            if name.startswith(".out.tmp")] == []  # no half-written folder
