"""Every change of support state a person asks for, one function each, in one shape.

Like Wagtail's `wagtail/actions/` and Zulip's `zerver/actions/`: each action checks
that it may run (raising ActionError, nothing changed), makes the change, logs it,
and leaves the signals to the ledger (support/events.py, sent after the commit).
Money state itself changes only through a provider event applied by
support/webhooks.py under the subject's row lock; an action that moves money does
so by recording such an event, never by writing a status or a ledger row.

Views, tasks and management commands call these; they sit above the ledger and the
providers in the import order (models → facts → providers → ledger → actions → views).
"""


class ActionError(Exception):
    """A request that cannot be carried out; `message` is safe to show. Nothing changed."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
