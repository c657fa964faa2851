"""Donor data at rest: Fernet encryption and an HMAC "blind index" for look-ups.

Used by every app that keeps a reader's address (support's supporters,
appeals' reminders); support also seals provider events with it
(support/crypto.py).

Addresses are stored only as Fernet tokens (cryptography's MultiFernet: the
first key of SAMIZDAT_DONOR_KEYS encrypts, every listed key decrypts, so a
new key can be put in front while `rotate_donor_key` re-encrypts old rows).
To find a supporter by address, the address is normalised (stripped,
lower-cased) and hashed with HMAC-SHA256 under SAMIZDAT_DONOR_INDEX_KEY; the
hash is stored next to the token and compared, never the address.

A custom field rather than an encrypted-fields package: the maintained ones
derive their keys from SECRET_KEY and a salt, so they take no Fernet keys
from the environment and offer no blind index; MultiFernet is the part that
does the cryptography, and it comes from `cryptography` itself.
"""

import hashlib
import hmac
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models

__all__ = [
    "DonorKeyError",
    "EncryptedEmailField",
    "InvalidToken",
    "UnreadableEmail",
    "blind_index",
    "decrypt",
    "encrypt",
    "fernet",
    "generate_key",
    "is_current",
    "normalise",
    "primary_fernet",
    "rotate_token",
]

logger = logging.getLogger(__name__)

UNREADABLE_HELP = (
    "no key in SAMIZDAT_DONOR_KEYS decrypts it (restored without the key that encrypted "
    "it?); put that key back in SAMIZDAT_DONOR_KEYS (docs/deploy.md). Amounts are not "
    "affected."
)


class DonorKeyError(ImproperlyConfigured):
    """SAMIZDAT_DONOR_KEYS or SAMIZDAT_DONOR_INDEX_KEY is missing or malformed."""


class UnreadableEmail(str):
    """A stored address that none of the configured keys decrypts.

    It reads as "" (no address: nothing is sent to it, money is still recorded) and is
    written back as the token it came from, so saving the row never loses the address
    a restored key would decrypt again.
    """

    token = ""

    @classmethod
    def of(cls, token):
        value = cls("")
        value.token = token
        return value


_warned = set()


def _readable_or_marked(token):
    try:
        return decrypt(token)
    except (InvalidToken, DonorKeyError):
        keys = tuple(getattr(settings, "SAMIZDAT_DONOR_KEYS", ()) or ())
        if keys not in _warned:  # once per process and key list, not once per row
            _warned.add(keys)
            logger.warning("Donor addresses cannot be read: %s", UNREADABLE_HELP)
        return UnreadableEmail.of(token)


def generate_key():
    return Fernet.generate_key().decode()


def _fernets(keys):
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as exc:
            raise DonorKeyError(
                f"SAMIZDAT_DONOR_KEYS entry {number} is not a Fernet key (32 bytes, url-safe "
                "base64). Generate one with `manage.py generate_donor_key`."
            ) from exc
    if not fernets:
        raise DonorKeyError(
            "SAMIZDAT_DONOR_KEYS is not set: donor addresses cannot be encrypted. "
            "Generate a key with `manage.py generate_donor_key` (docs/deploy.md)."
        )
    return fernets


_cache = {}


def fernet():
    """The MultiFernet for the configured keys (built once per key list)."""
    keys = tuple(getattr(settings, "SAMIZDAT_DONOR_KEYS", ()) or ())
    if keys not in _cache:
        _cache.clear()
        _cache[keys] = MultiFernet(_fernets(keys))
    return _cache[keys]


def primary_fernet():
    """The Fernet of the first key alone: what every row should end up under."""
    return _fernets(tuple(settings.SAMIZDAT_DONOR_KEYS or ())[:1])[0]


def encrypt(text):
    return fernet().encrypt(text.encode()).decode()


def decrypt(token):
    return fernet().decrypt(token.encode() if isinstance(token, str) else token).decode()


def normalise(email):
    return (email or "").strip().lower()


def _index_key():
    key = getattr(settings, "SAMIZDAT_DONOR_INDEX_KEY", "") or ""
    if len(key) < 32:
        raise DonorKeyError(
            "SAMIZDAT_DONOR_INDEX_KEY must be set to at least 32 random characters "
            "(`manage.py generate_donor_key --index`)."
        )
    return key.encode()


def blind_index(email):
    """HMAC-SHA256 of the normalised address, hex; "" for no address."""
    email = normalise(email)
    if not email:
        return ""
    return hmac.new(_index_key(), email.encode(), hashlib.sha256).hexdigest()


class EncryptedEmailField(models.EmailField):
    """An e-mail address validated as usual, stored as a Fernet token in a text column.

    Reads decrypt with any configured key; writes encrypt with the first. ""
    stays "" (an erased address). Only `isnull` may be queried: a token is
    different every time, so look addresses up through a blind index instead.
    """

    def get_internal_type(self):
        return "TextField"  # a token is longer than the address it hides

    def get_prep_value(self, value):
        if isinstance(value, UnreadableEmail):
            return value.token
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return _readable_or_marked(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted and cannot be compared "
                f"with '{lookup_name}'; filter on its blind index instead."
            )
        return super().get_lookup(lookup_name)


def is_current(token):
    """True if `token` is already encrypted under the first key."""
    try:
        primary_fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate_token(token):
    """`token` re-encrypted under the first key (unchanged if it already is)."""
    if is_current(token):
        return token
    return fernet().rotate(token.encode()).decode()
