"""Tampering is caught and named: by verify_export and by the stock minisign."""

import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samizdat.mirrors.manifest import MANIFEST_NAME

pytestmark = pytest.mark.django_db


@pytest.fixture
def copy(demo_export, tmp_path):
    folder, key, _published = demo_export
    target = tmp_path / "copy"
    shutil.copytree(folder, target)
    pub = tmp_path / "key.pub"
    pub.write_text(key.file_text())
    return target, pub


def verify(target, pub):
    call_command("verify_export", str(target), public_key=str(pub))


def test_verify_export_accepts_an_untouched_copy(copy, capsys):
    target, pub = copy
    verify(target, pub)
    assert "OK" in capsys.readouterr().out


def test_one_changed_byte_fails_and_names_the_file(copy, capsys):
    target, pub = copy
    page = target / "news" / "index.html"
    data = bytearray(page.read_bytes())
    data[200] ^= 1
    page.write_bytes(bytes(data))
    with pytest.raises(CommandError):
        verify(target, pub)
    assert "news/index.html" in capsys.readouterr().err


def test_missing_file_fails_and_names_it(copy, capsys):
    target, pub = copy
    (target / "robots.txt").unlink()
    with pytest.raises(CommandError):
        verify(target, pub)
    assert "robots.txt: missing" in capsys.readouterr().err


def test_unlisted_extra_file_fails_and_names_it(copy, capsys):
    target, pub = copy
    (target / "news" / "extra.js").write_text("alert(1)")
    with pytest.raises(CommandError):
        verify(target, pub)
    assert "news/extra.js: not listed" in capsys.readouterr().err


def test_edited_manifest_fails_signature_for_us_and_for_minisign(copy, capsys):
    target, pub = copy
    manifest = target / MANIFEST_NAME
    manifest.write_text(manifest.read_text().replace("robots.txt", "robots.txx"))
    with pytest.raises(CommandError):
        verify(target, pub)
    assert "signature does not match" in capsys.readouterr().err
    run = subprocess.run(["minisign", "-V", "-p", str(pub), "-m", str(manifest)],
                         capture_output=True, text=True)
    assert run.returncode != 0


def test_malformed_manifest_with_valid_signature_is_a_clear_error(copy, tmp_path, capsys):
    from samizdat.mirrors.signing import SecretKey

    target, _pub = copy
    key = SecretKey.generate()
    bad = b"not a manifest\n"
    (target / MANIFEST_NAME).write_bytes(bad)
    (target / (MANIFEST_NAME + ".minisig")).write_text(key.sign(bad, "x"))
    pub = tmp_path / "other.pub"
    pub.write_text(key.public_key.file_text())
    with pytest.raises(CommandError):
        verify(target, pub)
    assert "not a samizdat manifest" in capsys.readouterr().err


def test_copy_signed_by_another_key_is_rejected(copy, tmp_path, capsys):
    from samizdat.mirrors.signing import SecretKey

    target, _pub = copy
    other = tmp_path / "other.pub"
    other.write_text(SecretKey.generate().public_key.file_text())
    with pytest.raises(CommandError):
        verify(target, other)
    assert "expected key" in capsys.readouterr().err


def test_verify_export_over_http_names_a_changed_file(copy):
    from samizdat.mirrors.signing import PublicKey
    from samizdat.mirrors.verify import verify_url

    from .conftest import serve

    target, pub = copy
    (target / "mirrors" / "index.html").write_text("<p>changed</p>")
    with serve(target) as base:
        report = verify_url(base, PublicKey.from_text(pub.read_text()))
    assert [p.path for p in report.problems] == ["mirrors/index.html"]


@pytest.mark.parametrize("plant, named", [
    (lambda t: (t / "etc").symlink_to("/etc", target_is_directory=True),
     "etc: a symbolic link (to /etc)"),
    (lambda t: (t / "news" / "passwd").symlink_to("/etc/passwd"),
     "news/passwd: a symbolic link (to /etc/passwd)"),
    (lambda t: (t / "empty" / "deeper").mkdir(parents=True), "empty/deeper: an empty directory"),
    (lambda t: __import__("os").mkfifo(t / "news" / "pipe"), "news/pipe: not a regular file"),
])
def test_links_empty_folders_and_special_files_fail_the_check(copy, capsys, plant, named):
    """An export holds regular files only; a mirror that adds a link to /etc fails."""
    target, pub = copy
    plant(target)
    with pytest.raises(CommandError):
        verify(target, pub)
    assert named in capsys.readouterr().err


def test_a_listed_file_replaced_by_a_link_to_the_same_content_fails(copy, capsys):
    target, pub = copy
    original = target / "robots.txt"
    kept = target.parent / "robots-elsewhere.txt"
    original.rename(kept)
    original.symlink_to(kept)
    with pytest.raises(CommandError):
        verify(target, pub)
    assert "robots.txt: a symbolic link" in capsys.readouterr().err


def test_an_unreadable_folder_fails_the_check(copy, capsys):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every folder: permissions cannot make one unreadable")
    target, pub = copy
    (target / "news").chmod(0)
    try:
        with pytest.raises(CommandError):
            verify(target, pub)
    finally:
        (target / "news").chmod(0o755)
    assert "news: cannot be read" in capsys.readouterr().err


def test_a_tampering_mirror_cannot_tell_the_checker_from_a_reader(copy, monkeypatch):
    """The checker used to announce itself (samizdat-verify/1): a mirror could serve it
    the untouched files and readers the altered ones."""
    from samizdat.mirrors.signing import PublicKey
    from samizdat.mirrors.verify import verify_url

    from . import conftest

    agents = []
    real = conftest._Quiet.do_GET

    def record(handler):
        agents.append(handler.headers.get("User-Agent", ""))
        return real(handler)

    monkeypatch.setattr(conftest._Quiet, "do_GET", record)
    target, pub = copy
    with conftest.serve(target) as base:
        verify_url(base, PublicKey.from_text(pub.read_text()), paths=["index.html"])
    assert agents and all(a.startswith("Mozilla/5.0") and "samizdat" not in a.lower()
                          for a in agents)


def test_every_run_samples_other_files_so_none_is_safe_to_alter():
    from samizdat.mirrors.health import ALWAYS_CHECKED, sample_paths

    entries = {f"news/article-{n}/index.html": None for n in range(500)}
    entries.update(dict.fromkeys(ALWAYS_CHECKED))
    runs = [sample_paths(entries, 20) for _ in range(30)]
    assert all(set(ALWAYS_CHECKED) <= set(run) for run in runs)
    assert all(len(run) == 20 + len(ALWAYS_CHECKED) for run in runs)
    assert len({tuple(run) for run in runs}) > 25  # not one fixed set
    seen = set().union(*runs)
    assert len(seen) > 300  # over a month of daily checks most files get read
