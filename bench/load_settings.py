"""Production settings for the load benches, with checkout limits lifted.

The card-testing limits (SAMIZDAT_CHECKOUT_LIMITS: 20 starts per client per
10 minutes) would turn a one-client load generator into a stream of 429s;
the bench measures the platform, so it lifts them. Everything else is
samizdat.settings as production runs it.
"""

from samizdat.settings import *  # noqa: F403

SAMIZDAT_CHECKOUT_LIMITS = {"client": (10**9, 600), "email": (10**9, 3600),
                            "global": (10**9, 600)}
