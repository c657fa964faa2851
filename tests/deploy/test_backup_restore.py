"""deploy/backup.sh and deploy/restore.sh bring back the database, media and export."""

import os
import subprocess
import uuid

import pytest

from .conftest import DEPLOY, require_services

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def psql(url, sql):
    return subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-c", sql], check=True,
                          capture_output=True, text=True, timeout=60).stdout.strip()


@pytest.fixture
def database():
    """A database of its own (test runs side by side, or in parallel, each get theirs)."""
    require_services()
    name = f"security_backup_{uuid.uuid4().hex[:12]}"
    psql(ADMIN_URL, f"CREATE DATABASE {name}")
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    psql(ADMIN_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(script, env, *args):
    return subprocess.run(["bash", str(DEPLOY / script), *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_backup_then_restore_brings_everything_back(database, tmp_path):
    media, export, backups = tmp_path / "media", tmp_path / "export", tmp_path / "backups"
    (media / "original_images").mkdir(parents=True)
    (media / "original_images" / "lead.jpg").write_bytes(b"\xff\xd8 photo")
    export.mkdir()
    (export / "manifest.json").write_text('{"signed": true}')
    psql(database, "CREATE TABLE ledger (id int primary key, amount int);"
                   "INSERT INTO ledger VALUES (1, 500), (2, 1200);")
    env = {**os.environ, "DATABASE_URL": database, "BACKUP_DIR": str(backups),
           "MEDIA_ROOT": str(media), "SAMIZDAT_EXPORT_DIR": str(export)}

    made = run("backup.sh", env)
    assert made.returncode == 0, made.stderr
    folder = made.stdout.strip().splitlines()[-1]
    assert sorted(os.listdir(folder)) == ["SHA256SUMS", "db.dump", "export.tar.gz",
                                          "media.tar.gz"]
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"

    # Disaster: rows changed, a file lost, the export overwritten.
    psql(database, "DELETE FROM ledger WHERE id = 2; INSERT INTO ledger VALUES (3, 1);")
    (media / "original_images" / "lead.jpg").unlink()
    (export / "manifest.json").write_text("tampered")

    restored = run("restore.sh", env, folder)
    assert restored.returncode == 0, restored.stderr
    assert psql(database, "SELECT id, amount FROM ledger ORDER BY id") == "1|500\n2|1200"
    assert (media / "original_images" / "lead.jpg").read_bytes() == b"\xff\xd8 photo"
    assert (export / "manifest.json").read_text() == '{"signed": true}'


def test_restore_refuses_a_backup_whose_checksums_do_not_match(database, tmp_path):
    env = {**os.environ, "DATABASE_URL": database, "BACKUP_DIR": str(tmp_path / "b"),
           "MEDIA_ROOT": str(tmp_path / "m"), "SAMIZDAT_EXPORT_DIR": str(tmp_path / "e")}
    psql(database, "CREATE TABLE t (id int); INSERT INTO t VALUES (7);")
    folder = run("backup.sh", env).stdout.strip().splitlines()[-1]
    with open(os.path.join(folder, "db.dump"), "ab") as dump:
        dump.write(b"corruption")
    psql(database, "INSERT INTO t VALUES (8);")
    result = run("restore.sh", env, folder)
    assert result.returncode == 3
    assert "checksums do not match" in result.stderr
    assert psql(database, "SELECT count(*) FROM t") == "2"


def test_backup_keeps_only_the_newest_ones(database, tmp_path):
    backups = tmp_path / "b"
    for stamp in ("20250101T000000Z", "20250102T000000Z", "20250103T000000Z"):
        (backups / stamp).mkdir(parents=True)
    env = {**os.environ, "DATABASE_URL": database, "BACKUP_DIR": str(backups),
           "BACKUP_KEEP": "2", "MEDIA_ROOT": str(tmp_path / "m"),
           "SAMIZDAT_EXPORT_DIR": str(tmp_path / "e")}
    assert run("backup.sh", env).returncode == 0
    kept = sorted(p.name for p in backups.iterdir())
    assert len(kept) == 2 and kept[0] == "20250103T000000Z"


def test_backup_refuses_a_non_postgres_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": "sqlite:///x.db", "BACKUP_DIR": str(tmp_path)}
    result = run("backup.sh", env)
    assert result.returncode == 2 and "not PostgreSQL" in result.stderr
    assert list(tmp_path.iterdir()) == []
