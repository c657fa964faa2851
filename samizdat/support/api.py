"""What other apps may use of support: the one module they import.

Anything not named here is support's own and may change without notice.
support itself never imports the apps that use it; it tells them about
changes through the signals in events.py.
"""

from .checkout import FREQUENCY_ORDER, contribution_options
from .events import funding_changed, payment_recorded
from .goal_views import funding_data
from .reports import conversions_by_appeal
from .throttle import allow, client_key

__all__ = [
    "FREQUENCY_ORDER",
    "allow",
    "client_key",
    "contribution_options",
    "conversions_by_appeal",
    "funding_changed",
    "funding_data",
    "payment_recorded",
]
