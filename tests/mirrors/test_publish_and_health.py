"""Publishing to a folder and to S3 (moto on loopback), debounced re-export, mirror health."""

import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samizdat.mirrors import manifest
from samizdat.mirrors.models import Mirror
from samizdat.mirrors.publish import publish

from .conftest import EXPORT_KEYS, serve

pytestmark = pytest.mark.django_db


def test_publish_to_folder_copies_only_changed_files_and_removes_stale_ones(demo_export,
                                                                           tmp_path):
    folder, key, _published = demo_export
    target = tmp_path / "www"
    first = publish(folder, str(target), public_key=key)
    assert first.unchanged == 0 and len(first.uploaded) == len(manifest.walk_files(folder))
    (target / "leftover.html").write_text("old")
    (target / "robots.txt").write_text("changed on the server")
    second = publish(folder, str(target), public_key=key)
    assert second.uploaded == ["robots.txt"]
    assert second.deleted == ["leftover.html"]
    assert (target / "robots.txt").read_bytes() == (folder / "robots.txt").read_bytes()


@pytest.fixture
def moto_s3(monkeypatch):
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # Port 0: the system picks a free one (with a busy port, start() would wait forever:
    # the bind fails in moto's server thread).
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    yield url
    server.stop()


def test_publish_to_s3_uploads_changed_files_only_with_manifest_last(demo_export, moto_s3):
    import boto3

    folder, key, _published = demo_export
    client = boto3.client("s3", endpoint_url=moto_s3)
    client.create_bucket(Bucket="mirror")
    first = publish(folder, "s3://mirror/site", endpoint_url=moto_s3, public_key=key)
    files = manifest.walk_files(folder)
    assert len(first.uploaded) == len(files)
    assert first.uploaded[-2:] == [manifest.MANIFEST_NAME, manifest.SIGNATURE_NAME]
    obj = client.get_object(Bucket="mirror", Key="site/news/index.html")
    assert obj["ContentType"].startswith("text/html")
    assert obj["Body"].read() == (folder / "news/index.html").read_bytes()
    client.put_object(Bucket="mirror", Key="site/stray.txt", Body=b"x")
    client.put_object(Bucket="mirror", Key="site/robots.txt", Body=b"tampered")
    second = publish(folder, "s3://mirror/site", endpoint_url=moto_s3, public_key=key)
    assert second.uploaded == ["robots.txt"]
    assert second.deleted == ["stray.txt"]
    assert second.unchanged == len(files) - 1


def test_publish_to_unreachable_bucket_is_a_clear_error(demo_export, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    folder, key, _published = demo_export
    with pytest.raises(CommandError, match="s3://nowhere"):
        call_command("publish_export", "s3://nowhere/x", "--from", str(folder),
                     "--endpoint-url", "http://127.0.0.1:9", "--public-key", key.line)


@pytest.mark.parametrize("spoil", ["symlink", "changed", "stray", "wrong key"])
def test_publish_refuses_an_export_that_does_not_verify_and_copies_nothing(
        demo_export, tmp_path, spoil):
    """A symlink planted in the export folder would copy /etc/passwd to every mirror; a
    changed or extra file would ship unsigned content: publishing checks first."""
    from samizdat.mirrors.signing import SecretKey

    folder, key, _published = demo_export
    spoiled = tmp_path / "export"
    shutil.copytree(folder, spoiled)
    if spoil == "symlink":
        (spoiled / "passwd.txt").symlink_to("/etc/passwd")
    elif spoil == "changed":
        (spoiled / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    elif spoil == "stray":
        (spoiled / "news" / "extra.html").write_text("<p>not signed</p>")
    else:
        key = SecretKey.generate().public_key
    target = tmp_path / "www"
    with pytest.raises(CommandError, match="does not verify, nothing was published"):
        call_command("publish_export", str(target), "--from", str(spoiled),
                     "--public-key", key.line)
    assert not target.exists() or not any(target.iterdir())


def export_jobs(backend):
    return [r for r in backend.results if r.task.func.__name__ == "export_and_publish"]


def test_publishing_pages_queues_one_debounced_export(demo_site, signing_key, settings,
                                                      tmp_path):
    from samizdat.news.models import ArticlePage

    settings.SAMIZDAT_EXPORT_ON_PUBLISH = True
    settings.SAMIZDAT_EXPORT_DIR = tmp_path / "export"
    settings.SAMIZDAT_EXPORT_PUBLISH_TARGETS = [str(tmp_path / "www")]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.clear()
    from django.test import TestCase

    articles = list(ArticlePage.objects.live()[:3])
    with TestCase.captureOnCommitCallbacks(execute=True):
        for article in articles:
            article.save_revision().publish()
    assert len(export_jobs(default_task_backend)) == 1
    assert export_jobs(default_task_backend)[0].task.run_after is not None
    # The queued job runs: an incremental export, then the copy to each target.
    from samizdat.mirrors.tasks import export_and_publish

    outcome = export_and_publish.call()
    assert outcome["published"] and (tmp_path / "www" / manifest.MANIFEST_NAME).is_file()
    with TestCase.captureOnCommitCallbacks(execute=True):
        articles[0].save_revision().publish()
    assert len(export_jobs(default_task_backend)) == 2


def alter(folder, rel):
    path = folder / rel
    path.write_bytes(path.read_bytes().replace(b"</body>", b"<script>evil()</script></body>"))


def test_check_mirrors_reports_stale_unreachable_and_tampered_copies(demo_export, tmp_path,
                                                                     settings, capsys):
    folder, _key, _published = demo_export
    secret = EXPORT_KEYS[folder]
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = secret.file_text()
    good, tampered, stale = (tmp_path / name for name in ("good", "tampered", "stale"))
    for copy in (good, tampered, stale):
        shutil.copytree(folder, copy)
    alter(tampered, "news/court-jails-school-librarian/index.html")
    alter(stale, "index.html")  # an older export: different, but properly signed
    entries = manifest.entries_for(stale)
    manifest.write_signed(stale, entries, "https://news.example.org", secret)
    with serve(good) as good_url, serve(tampered) as bad_url, serve(stale) as stale_url:
        port = int(stale_url.rsplit(":", 1)[1].strip("/")) + 1
        Mirror.objects.create(url=good_url, kind="other")
        Mirror.objects.create(url=bad_url, kind="other")
        Mirror.objects.create(url=stale_url, kind="other")
        Mirror.objects.create(url=f"http://127.0.0.1:{port}/", kind="other")
        Mirror.objects.create(url="http://" + "e" * 56 + ".onion/", kind="onion")
        with pytest.raises(CommandError, match="3 of 5 mirrors"):
            call_command("check_mirrors", "--export", str(folder), "--full", "--timeout", "5")
    out = capsys.readouterr().out
    lines = {line.split()[1]: line.split()[0] for line in out.splitlines() if line.strip()
             and not line.startswith(("3 of",))}
    assert lines[good_url] == "OK"
    assert lines[bad_url] == "TAMPERED"
    assert "news/court-jails-school-librarian/index.html" in out
    assert lines[stale_url] == "STALE"
    assert lines[f"http://127.0.0.1:{port}/"] == "UNREACHABLE"
    assert Mirror.objects.get(url=bad_url).last_check_result.startswith("TAMPERED")


def test_a_mirror_replaying_an_old_signed_export_is_stale_by_its_signed_time(
        demo_export, tmp_path, settings, capsys):
    """The export's time is in the signed comment: a copy that is genuine and complete
    but was signed long ago shows its age, and check_mirrors calls it STALE."""
    from datetime import UTC, datetime, timedelta

    folder, _key, _published = demo_export
    secret = EXPORT_KEYS[folder]
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = secret.file_text()
    current, old = tmp_path / "current", tmp_path / "old"
    for copy, days in ((current, 0), (old, 10)):
        shutil.copytree(folder, copy)
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
        manifest.write_signed(copy, manifest.entries_for(copy), "https://news.example.org",
                              secret, when=when)
    signature = (old / manifest.SIGNATURE_NAME).read_text()
    assert f"time:{(datetime.now(UTC) - timedelta(days=10)):%Y-%m-%d}" in signature
    with serve(old) as old_url:
        Mirror.objects.create(url=old_url, kind="other")
        with pytest.raises(CommandError, match="1 of 1 mirrors"):
            call_command("check_mirrors", "--export", str(current), "--timeout", "5")
        assert "STALE" in capsys.readouterr().out
        assert "signed 10 days ago, limit 7" in Mirror.objects.get().last_check_result
        call_command("check_mirrors", "--export", str(current), "--timeout", "5",
                     "--max-age-days", "30")
        assert Mirror.objects.get().last_check_result.startswith("OK")
        with pytest.raises(CommandError, match="--max-age-days"):
            call_command("check_mirrors", "--export", str(current), "--max-age-days", "-1")


def test_check_deploy_warns_when_exports_all_claim_one_time(monkeypatch):
    from samizdat.security.checks import check_source_date_epoch

    assert [w.id for w in check_source_date_epoch()] == ["samizdat_mirrors.W001"]
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert check_source_date_epoch() == []
