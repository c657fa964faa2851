"""Production settings for the load benches, with checkout limits lifted.

The card-testing limits (SAMIZDAT_CHECKOUT_LIMITS: 20 starts per client per
10 minutes) would turn a one-client load generator into a stream of 429s;
the bench measures the platform, so it lifts them. Everything else is
samizdat.settings as production runs it.
"""

from samizdat.settings import *  # noqa: F403

SAMIZDAT_CHECKOUT_LIMITS = {"client": (10**9, 600), "email": (10**9, 3600),
                            "global": (10**9, 600)}

# The loopback benches pay with the demo provider and send no mail; production
# refuses both (samizdat/production.py) unless this is set here, in Python: no
# environment variable can set it on a real install.
SAMIZDAT_LOOPBACK_BENCHMARK = True
SAMIZDAT_PAYMENT_PROVIDERS = {
    "demo": {"BACKEND": "samizdat.support.providers.demo.DemoProvider",
             "OPTIONS": {"MAX_FAILED_RENEWALS": 3}},
    **SAMIZDAT_PAYMENT_PROVIDERS,  # noqa: F405
}
