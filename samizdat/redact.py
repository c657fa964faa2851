"""E-mail addresses out of logs and stored tracebacks.

An SMTP refusal's text names the address (`SMTPRecipientsRefused: {'reader@…'}`);
written to a log, a task row's traceback or a backup, it would outlive the
reader's "forget me". So every log record passes through RedactAddresses, and
a task result's traceback is redacted before it is saved (security/apps.py).
"""

import logging
import re

ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
REPLACEMENT = "[address]"


def redact(text):
    return ADDRESS.sub(REPLACEMENT, text) if text else text


class RedactAddresses(logging.Filter):
    """A logging filter that replaces addresses in the message and the traceback."""

    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def redact_task_traceback(sender, instance, **kwargs):
    """pre_save of django-tasks-db's result rows: the traceback is stored redacted."""
    if getattr(instance, "traceback", ""):
        instance.traceback = redact(instance.traceback)
