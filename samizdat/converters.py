"""Path converters for every identifier in a URL: a value that cannot be one is a 404
before any query runs.

`str` accepts anything but "/", NUL bytes included, and PostgreSQL refuses a NUL
in a text parameter with an error (a 500). Registered in samizdat/urls.py;
tests/security/test_url_identifiers.py fails for a URL that still uses `str`.
"""

from django.urls import register_converter


class _Pattern:
    regex = ""

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


class ReferenceConverter(_Pattern):
    """A gift or plan reference: ASCII letters, digits and dashes, as stored (24 max)."""

    regex = r"[0-9A-Za-z][0-9A-Za-z-]{0,23}"


class TokenConverter(_Pattern):
    """A single-use or signed token: URL-safe base64 and Django signing's ':' (200 max)."""

    regex = r"[0-9A-Za-z_\-:.=]{1,200}"


class AliasConverter(_Pattern):
    """A payment provider's alias as configured (settings.SAMIZDAT_PAYMENT_PROVIDERS)."""

    regex = r"[a-z0-9_]{1,40}"


def register():
    register_converter(ReferenceConverter, "reference")
    register_converter(TokenConverter, "token")
    register_converter(AliasConverter, "alias")
