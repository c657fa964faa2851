"""Personal data inside stored provider events, sealed with the donor keys.

The encrypted field, the blind index and the keys are core's (core/crypto.py);
the names support's modules and migrations use are imported here.
"""

import logging

from samizdat.core.crypto import (
    UNREADABLE_HELP,
    DonorKeyError,
    EncryptedEmailField,
    InvalidToken,
    UnreadableEmail,
    _readable_or_marked,
    blind_index,
    decrypt,
    encrypt,
    fernet,
    generate_key,
    is_current,
    normalise,
    primary_fernet,
    rotate_token,
)

__all__ = [
    "PERSONAL_KEYS",
    "SEALED_PREFIX",
    "UNREADABLE_HELP",
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
    "reseal_personal_data",
    "rotate_token",
    "seal",
    "seal_personal_data",
    "unseal",
]

logger = logging.getLogger(__name__)


# --- Personal data inside stored provider events ------------------------------------
# A provider's event (kept as ProviderEvent.payload) can carry the payer's
# address, name, phone or postal address. Those values are sealed (encrypted)
# before the event is stored; providers `unseal` the one they need (the e-mail).

SEALED_PREFIX = "sealed:"
PERSONAL_KEYS = frozenset({
    "email", "customer_email", "receipt_email", "name", "customer_name", "phone",
    "customer_phone", "address", "customer_address",
})


def seal(value):
    return SEALED_PREFIX + encrypt(value) if value else value


def unseal(value):
    """The plain value of a sealed string (an UnreadableEmail if no key decrypts it); any
    other value as it is."""
    if isinstance(value, str) and value.startswith(SEALED_PREFIX):
        return _readable_or_marked(value[len(SEALED_PREFIX):])
    return value


def _map_personal(data, change, personal=False):
    if isinstance(data, dict):
        return {key: _map_personal(value, change, personal or key in PERSONAL_KEYS)
                for key, value in data.items()}
    if isinstance(data, list):
        return [_map_personal(item, change, personal) for item in data]
    if personal and isinstance(data, str) and data:
        return change(data)
    return data


def seal_personal_data(payload):
    """A copy of `payload` whose personal values (any depth) are sealed.

    Without any donor key they are dropped, never stored in plain text: the event, and
    the money it moves, is still recorded (and the operator told which variable to set).
    """
    dropped = []

    def change(value):
        if value.startswith(SEALED_PREFIX):
            return value
        try:
            return seal(value)
        except DonorKeyError:
            dropped.append(value)
            return ""

    sealed = _map_personal(payload, change)
    if dropped:
        logger.error("SAMIZDAT_DONOR_KEYS is not set: %d personal value(s) of a provider "
                     "event were dropped, not stored; the payment itself is recorded. "
                     "Generate a key with `manage.py generate_donor_key`.", len(dropped))
    return sealed


def reseal_personal_data(payload):
    """A copy with every sealed value re-encrypted under the first key (rotation)."""
    def change(value):
        if not value.startswith(SEALED_PREFIX):
            return seal(value)
        return SEALED_PREFIX + rotate_token(value[len(SEALED_PREFIX):])

    return _map_personal(payload, change)
