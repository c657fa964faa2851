"""Data fetched once for many renders: a store active only inside its `with` block.

An app's bulk loader (`SiteUrls.bulk_render`, entered in each export worker) makes a
store that its look-ups consult while it is active; outside it (the live site) they
query as usual. Stores nest; the innermost answers.
"""

import contextlib

_kinds = []


def any_active():
    """True while a store of any kind is active (a forked export worker inherits them)."""
    return any(kind.active() is not None for kind in _kinds)


def warm_all():
    """Fill each active store that can be filled ahead (`warm()`), before forking workers
    that then share it instead of each fetching its own."""
    for kind in _kinds:
        store = kind.active()
        if store is not None and hasattr(store, "warm"):
            store.warm()


class Stores:
    """The active stores of one kind, made by `factory` on entry."""

    def __init__(self, factory):
        self._factory = factory
        self._stack = []
        _kinds.append(self)

    def active(self):
        return self._stack[-1] if self._stack else None

    @contextlib.contextmanager
    def fetched_once(self):
        store = self._factory()
        self._stack.append(store)
        try:
            yield store
        finally:
            self._stack.remove(store)
