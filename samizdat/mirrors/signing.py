"""Ed25519 keys and signatures in the minisign format.

Anyone can check a mirror with the stock `minisign -V` tool, not only with
our code. Keys use minisign's unencrypted secret-key file (what
`minisign -G -W` writes), so an operator may create one with minisign too.
Signatures are the pre-hashed kind ("ED": Ed25519 over BLAKE2b-512 of the
file), the default of minisign >= 0.10.
"""

import base64
import hashlib
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SIG_ALG = b"Ed"
PREHASHED_ALG = b"ED"
KDF_NONE = b"\x00\x00"
CHK_ALG = b"B2"


class SigningError(Exception):
    """A key or signature that cannot be used, with a message for the operator."""


class KeyMissing(SigningError, ImproperlyConfigured):
    pass


def _b64decode(text, what):
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{what} is not valid base64") from exc


def key_id_hex(key_id):
    """minisign shows key ids as the little-endian integer in upper-case hex."""
    return f"{struct.unpack('<Q', key_id)[0]:016X}"


def _payload_line(text, what):
    """The base64 line of a minisign file: the first line that is not a comment."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.lower().startswith(("untrusted comment:", "trusted comment:")):
            return line
    raise SigningError(f"{what} is empty")


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes
    key: Ed25519PublicKey

    @classmethod
    def from_text(cls, text):
        raw = _b64decode(_payload_line(text, "public key"), "public key")
        if len(raw) != 42 or raw[:2] != SIG_ALG:
            raise SigningError("public key is not a minisign Ed25519 key")
        return cls(raw[2:10], Ed25519PublicKey.from_public_bytes(raw[10:]))

    @property
    def raw(self):
        from cryptography.hazmat.primitives import serialization

        return self.key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def id_hex(self):
        return key_id_hex(self.key_id)

    @property
    def line(self):
        return base64.b64encode(SIG_ALG + self.key_id + self.raw).decode()

    def file_text(self):
        """The .pub file minisign reads with -p."""
        return f"untrusted comment: minisign public key {self.id_hex}\n{self.line}\n"

    def verify(self, data, signature_text):
        """The trusted comment of a valid signature of `data`; SigningError otherwise."""
        lines = [line for line in signature_text.splitlines() if line.strip()]
        if len(lines) < 4 or not lines[2].startswith("trusted comment: "):
            raise SigningError("signature file is malformed")
        sig = _b64decode(lines[1], "signature")
        if len(sig) != 74 or sig[:2] not in (SIG_ALG, PREHASHED_ALG):
            raise SigningError("signature is not a minisign Ed25519 signature")
        if sig[2:10] != self.key_id:
            raise SigningError(
                f"signed by key {key_id_hex(sig[2:10])}, expected key {self.id_hex}"
            )
        message = data
        if sig[:2] == PREHASHED_ALG:
            message = hashlib.blake2b(data, digest_size=64).digest()
        trusted = lines[2][len("trusted comment: "):]
        global_sig = _b64decode(lines[3], "global signature")
        try:
            self.key.verify(sig[10:], message)
            self.key.verify(global_sig, sig[10:] + trusted.encode())
        except InvalidSignature as exc:
            raise SigningError("signature does not match") from exc
        return trusted


@dataclass(frozen=True)
class SecretKey:
    key_id: bytes
    key: Ed25519PrivateKey

    @classmethod
    def generate(cls):
        return cls(secrets.token_bytes(8), Ed25519PrivateKey.generate())

    @classmethod
    def from_text(cls, text):
        """Parse an unencrypted minisign secret key (file content or its base64 line)."""
        raw = _b64decode(_payload_line(text, "signing key"), "signing key")
        if len(raw) != 158 or raw[:2] != SIG_ALG or raw[4:6] != CHK_ALG:
            raise SigningError("signing key is not a minisign Ed25519 secret key")
        if raw[2:4] != KDF_NONE:
            raise SigningError(
                "signing key is password-protected; create one without a password "
                "(manage.py mirror_keygen, or minisign -G -W)"
            )
        key_id, secret, checksum = raw[54:62], raw[62:126], raw[126:158]
        expected = hashlib.blake2b(SIG_ALG + key_id + secret, digest_size=32).digest()
        # minisign -W (0.11) leaves the checksum of an unencrypted key as zeros.
        if checksum not in (expected, bytes(32)):
            raise SigningError("signing key checksum does not match: the key is damaged")
        key = Ed25519PrivateKey.from_private_bytes(secret[:32])
        public = cls(key_id, key).public_key
        if public.raw != secret[32:]:
            raise SigningError("signing key halves do not match: the key is damaged")
        return cls(key_id, key)

    @property
    def public_key(self):
        return PublicKey(self.key_id, self.key.public_key())

    def file_text(self):
        from cryptography.hazmat.primitives import serialization

        seed = self.key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        secret = seed + self.public_key.raw
        checksum = hashlib.blake2b(SIG_ALG + self.key_id + secret, digest_size=32).digest()
        raw = (
            SIG_ALG + KDF_NONE + CHK_ALG + bytes(32) + bytes(16)
            + self.key_id + secret + checksum
        )
        return (
            "untrusted comment: minisign secret key (samizdat mirror signing key, unencrypted)\n"
            f"{base64.b64encode(raw).decode()}\n"
        )

    def sign(self, data, trusted_comment, untrusted_comment="signature from samizdat"):
        """A detached minisign signature (.minisig text). Deterministic for equal input."""
        if "\n" in trusted_comment or "\r" in trusted_comment:
            raise SigningError("a trusted comment must be one line")
        digest = hashlib.blake2b(data, digest_size=64).digest()
        signature = self.key.sign(digest)
        global_sig = self.key.sign(signature + trusted_comment.encode())
        sig_line = base64.b64encode(PREHASHED_ALG + self.key_id + signature).decode()
        return (
            f"untrusted comment: {untrusted_comment}\n{sig_line}\n"
            f"trusted comment: {trusted_comment}\n{base64.b64encode(global_sig).decode()}\n"
        )


def load_secret_key():
    """The configured signing key: SAMIZDAT_MIRROR_SIGNING_KEY, else the key file."""
    text = os.environ.get("SAMIZDAT_MIRROR_SIGNING_KEY") or getattr(
        settings, "SAMIZDAT_MIRROR_SIGNING_KEY", ""
    )
    source = "SAMIZDAT_MIRROR_SIGNING_KEY"
    if not text:
        path = getattr(settings, "SAMIZDAT_MIRROR_SIGNING_KEY_FILE", "")
        if not path:
            raise KeyMissing(
                "No mirror signing key: set SAMIZDAT_MIRROR_SIGNING_KEY or "
                "SAMIZDAT_MIRROR_SIGNING_KEY_FILE (create one with manage.py mirror_keygen)"
            )
        source = str(path)
        try:
            text = Path(path).read_text()
        except FileNotFoundError as exc:
            raise KeyMissing(
                f"Mirror signing key file {path} does not exist "
                "(create one with manage.py mirror_keygen)"
            ) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningError(f"Mirror signing key file {path} cannot be read: {exc}") from exc
    try:
        return SecretKey.from_text(text)
    except SigningError as exc:
        raise SigningError(f"{source}: {exc}") from exc


def load_public_key(value):
    """A .pub file path, a bare key line, or (empty) the configured signing key's."""
    if not value:
        return load_secret_key().public_key
    path = Path(value)
    if path.is_file():
        return PublicKey.from_text(path.read_text())
    return PublicKey.from_text(value)


def configured_public_key():
    """The public key to publish, or None when no (valid) key is configured."""
    try:
        return load_secret_key().public_key
    except SigningError:
        return None
