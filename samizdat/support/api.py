"""What other apps may use of support: the one module they import.

Anything not named here is support's own and may change without notice.
support itself never imports the apps that use it; it tells them about
changes through the signals in events.py.
"""

from .checkout import FREQUENCY_ORDER, contribution_options
from .events import funding_changed, payment_recorded
from .goal_views import funding_data
from .reports import conversions_by_appeal
from .selfservice import email_for, paying_supporter_indexes, signed_in_index
from .tasks import send_manage_link
from .throttle import allow, client_key

__all__ = [
    "FREQUENCY_ORDER",
    "allow",
    "client_key",
    "contribution_options",
    "conversions_by_appeal",
    "email_for",
    "funding_changed",
    "funding_data",
    "paying_supporter_indexes",
    "payment_recorded",
    "send_manage_link",
    "signed_in_index",
]
