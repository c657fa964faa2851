"""Run localstripe (GPL, a test-only tool) on 127.0.0.1 without its pickle file.

localstripe binds every interface and pickles its store to /tmp after each
write; this launcher serves its aiohttp app on loopback only, in memory.
Usage: python -m tests.support.localstripe_launcher PORT
"""

import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def main():
    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
