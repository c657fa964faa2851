"""The support app's models, one module per concern."""

from .advice import *  # noqa: F401,F403
from .contributions import *  # noqa: F401,F403
from .goal import *  # noqa: F401,F403
from .options import *  # noqa: F401,F403
from .receipts import *  # noqa: F401,F403
from .reconciliation import *  # noqa: F401,F403
from .retention import *  # noqa: F401,F403
from .selfservice import *  # noqa: F401,F403
