"""Bad input changes nothing: foreign folders, unwritable places, missing keys.

These tests export the site the migrations make (a few pages, a second): what they check
does not depend on the site's size, and an export of the demo takes 15-50 s."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samizdat.mirrors.manifest import MANIFEST_NAME

pytestmark = pytest.mark.django_db


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_non_empty_folder_that_is_no_export_is_refused_untouched(signing_key, tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(CommandError, match="not empty and holds no previous export"):
        call_command("export_site", str(target), "--no-progress")
    assert listing(target) == ["holiday.jpg"]
    assert listing(tmp_path) == ["photos", "photos/holiday.jpg"]


def test_force_replaces_a_foreign_folder(signing_key, tmp_path):
    target = tmp_path / "old"
    target.mkdir()
    (target / "junk.txt").write_text("x")
    call_command("export_site", str(target), "--force", "--no-progress", verbosity=0)
    assert (target / MANIFEST_NAME).is_file() and not (target / "junk.txt").exists()


def test_missing_key_is_a_clear_error_and_leaves_nothing(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("SAMIZDAT_MIRROR_SIGNING_KEY", raising=False)
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = ""
    settings.SAMIZDAT_MIRROR_SIGNING_KEY_FILE = str(tmp_path / "absent.key")
    with pytest.raises(CommandError, match="absent.key does not exist"):
        call_command("export_site", str(tmp_path / "out"), "--no-progress")
    assert listing(tmp_path) == []


def test_malformed_key_is_a_clear_error(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("SAMIZDAT_MIRROR_SIGNING_KEY", raising=False)
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = "untrusted comment: k\nRWQAAEIy\n"
    with pytest.raises(CommandError, match="not a minisign Ed25519 secret key"):
        call_command("export_site", str(tmp_path / "out"), "--no-progress")
    assert listing(tmp_path) == []


def test_unwritable_parent_is_a_clear_error(signing_key, tmp_path):
    """A read-only place (permission bits; /proc where root ignores them)."""
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    target = parent / "out" if os.geteuid() != 0 else Path("/proc/out")
    try:
        with pytest.raises(CommandError, match="cannot write"):
            call_command("export_site", str(target), "--no-progress")
    finally:
        parent.chmod(0o700)
    assert not target.exists()


def test_output_path_that_is_a_file_or_has_no_parent_is_refused(signing_key, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match="not a folder"):
        call_command("export_site", str(tmp_path / "file"), "--no-progress")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_site", str(tmp_path / "no" / "such" / "out"), "--no-progress")
    assert (tmp_path / "file").read_text() == "x"


def test_failed_export_leaves_the_previous_export_in_place(signing_key, tmp_path, monkeypatch):
    target = tmp_path / "out"
    call_command("export_site", str(target), "--no-progress", verbosity=0)
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    from samizdat.mirrors import manifest

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(manifest, "write_signed", broken)
    with pytest.raises(CommandError, match="writing the export failed \\(disk full\\)"):
        call_command("export_site", str(target), "--no-progress", verbosity=0)
    after = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")] == []


def test_a_page_that_fails_to_render_fails_the_export_and_signs_nothing(
        signing_key, tmp_path, monkeypatch):
    """An export with 97 of 219 pages used to be signed and swapped in with exit 0."""
    target = tmp_path / "out"
    call_command("export_site", str(target), "--no-progress", "--jobs", "1", verbosity=0)
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    from samizdat.mirrors.export.render import Renderer

    real = Renderer.render_one

    def database_gone_for_one_page(self, path):  # what PostgreSQL stopping mid-export did
        if path.startswith("/ru/"):
            raise OSError("server closed the connection unexpectedly")
        return real(self, path)

    monkeypatch.setattr(Renderer, "render_one", database_gone_for_one_page)
    with pytest.raises(CommandError, match=r"page\(s\) failed, so nothing was signed"):
        call_command("export_site", str(target), "--no-progress", "--jobs", "1", verbosity=0)
    after = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after == before  # the previous, whole export is still what mirrors get

