"""The registry through which each app exports and erases what it holds about a donor.

Apps know an address only by its blind index (core/crypto.py). An app that
stores rows under it registers a `PersonalData` in its AppConfig.ready();
support's donor-data export, erasure, retention and key rotation go through
the registry, so they never import the apps that hold the rows (the way
`contrib.sitemaps` asks each Sitemap for its items).
"""

from abc import ABC, abstractmethod

__all__ = ["PersonalData", "handlers", "register"]

_handlers = {}


class PersonalData(ABC):
    """What one app keeps under an e-mail address's blind index. An app's handler that
    leaves out export, count or erase cannot be made, so no data is silently kept."""

    #: Key of the rows in a donor's data export (docs/privacy.md).
    name = ""
    #: Key of the row count on the "delete my data" confirmation.
    summary_name = ""

    @abstractmethod
    def export(self, email_index):
        """JSON-ready rows held under the address, in a stable order."""
        ...

    @abstractmethod
    def count(self, email_index):
        ...

    @abstractmethod
    def erase(self, email_index):
        """Delete or blank the rows; called inside the erasure's transaction."""
        ...

    def encrypted_fields(self):
        """[(model, field)] of the columns holding values encrypted with the donor keys
        (addresses, and secrets such as a bot token), for key rotation: each column holds
        a Fernet token as text, or "" for none."""
        return []


def register(handler):
    """Register once per name; registering the same name again replaces it (idempotent)."""
    if not handler.name:
        raise ValueError("A PersonalData handler needs a name.")
    _handlers[handler.name] = handler
    return handler


def handlers():
    """The registered handlers, in the order they were first registered."""
    return list(_handlers.values())
