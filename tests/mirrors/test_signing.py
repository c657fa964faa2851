"""Keys and signatures interoperate with the stock minisign tool."""

import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samizdat.mirrors.signing import PublicKey, SecretKey, SigningError, load_secret_key


def test_minisign_verifies_our_signature_and_we_verify_minisigns(tmp_path):
    key = SecretKey.generate()
    (tmp_path / "k.pub").write_text(key.public_key.file_text())
    (tmp_path / "k.key").write_text(key.file_text())
    data = tmp_path / "data.txt"
    data.write_bytes(b"hello mirrors\n")
    (tmp_path / "data.txt.minisig").write_text(key.sign(data.read_bytes(), "our comment"))
    run = subprocess.run(["minisign", "-V", "-p", str(tmp_path / "k.pub"), "-m", str(data)],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "our comment" in run.stdout
    # minisign signs with our secret key file; we verify its signature.
    signed = subprocess.run(["minisign", "-S", "-s", str(tmp_path / "k.key"), "-m", str(data),
                             "-x", str(tmp_path / "theirs.minisig")],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert signed.returncode == 0, signed.stderr
    comment = key.public_key.verify(data.read_bytes(),
                                    (tmp_path / "theirs.minisig").read_text())
    assert "file:data.txt" in comment


def test_key_made_by_minisign_without_password_can_sign_exports(tmp_path):
    run = subprocess.run(["minisign", "-G", "-W", "-p", str(tmp_path / "m.pub"), "-s",
                          str(tmp_path / "m.key")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    key = SecretKey.from_text((tmp_path / "m.key").read_text())
    assert key.public_key.line == PublicKey.from_text((tmp_path / "m.pub").read_text()).line


def test_missing_or_malformed_key_is_a_clear_error(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("SAMIZDAT_MIRROR_SIGNING_KEY", raising=False)
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = ""
    settings.SAMIZDAT_MIRROR_SIGNING_KEY_FILE = str(tmp_path / "nope.key")
    with pytest.raises(SigningError, match="does not exist"):
        load_secret_key()
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = "untrusted comment: x\nnot base64!!\n"
    with pytest.raises(SigningError, match="not valid base64"):
        load_secret_key()
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = SecretKey.generate().public_key.file_text()
    with pytest.raises(SigningError, match="not a minisign Ed25519 secret key"):
        load_secret_key()


def test_keygen_writes_a_private_file_and_refuses_to_overwrite(settings, tmp_path, capsys):
    path = tmp_path / "signing.key"
    call_command("mirror_keygen", str(path))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    out = capsys.readouterr().out
    key = SecretKey.from_text(path.read_text())
    assert key.public_key.line in out
    with pytest.raises(CommandError, match="exists"):
        call_command("mirror_keygen", str(path))


def test_rotation_statement_is_signed_by_the_old_key(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("SAMIZDAT_MIRROR_SIGNING_KEY", raising=False)
    old = SecretKey.generate()
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = old.file_text()
    settings.SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR = tmp_path / "rot"
    call_command("mirror_keygen", str(tmp_path / "new.key"), rotate=True)
    new = SecretKey.from_text((tmp_path / "new.key").read_text())
    statement = next((tmp_path / "rot").glob("*.txt"))
    (tmp_path / "old.pub").write_text(old.public_key.file_text())
    run = subprocess.run(["minisign", "-V", "-p", str(tmp_path / "old.pub"), "-m",
                          str(statement)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f"new-key: {new.public_key.id_hex} {new.public_key.line}" in statement.read_text()


def test_mirror_public_key_prints_the_minisign_public_key(settings, capsys, monkeypatch):
    monkeypatch.delenv("SAMIZDAT_MIRROR_SIGNING_KEY", raising=False)
    key = SecretKey.generate()
    settings.SAMIZDAT_MIRROR_SIGNING_KEY = key.file_text()
    call_command("mirror_public_key")
    assert capsys.readouterr().out == key.public_key.file_text()
