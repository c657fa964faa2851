"""Run localstripe (GPL, a test-only tool) on 127.0.0.1 without its pickle file.

localstripe binds every interface and pickles its store to /tmp after each
write; this launcher serves its aiohttp app on loopback only, in memory.
Usage: python -m tests.support.localstripe_launcher PORT
"""

import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def _accept_proration_behavior():
    """localstripe predates `proration_behavior` (Stripe's current parameter) and knows
    only the legacy `prorate`: read the one as the other, as Stripe did when both existed."""
    update = resources.Subscription._update

    def _update(self, *args, proration_behavior=None, **kwargs):
        if proration_behavior is not None and "prorate" not in kwargs:
            kwargs["prorate"] = "false" if proration_behavior == "none" else "true"
        return update(self, *args, **kwargs)

    resources.Subscription._update = _update


def main():
    _accept_proration_behavior()
    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
