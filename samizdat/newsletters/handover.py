"""Handing a batch's messages to the mail server, one SMTP conversation per batch.

With Django's SMTP backend (or a subclass) and a server that offers PIPELINING
(RFC 2920; Postfix does), the commands are not sent one round trip at a time as
smtplib does (MAIL, wait, RCPT, wait, DATA, wait, message, wait): a message's
`MAIL FROM`, `RCPT TO` and `DATA` go in one write, and the next message's three go
right behind the previous message's final dot, so the server checks the next
envelope while it files the previous message and the worker builds the next one.
Every reply is still read, in order, and judged as before:

- `250` to the final dot: the message was taken (yielded as `(key, None)`);
- all recipients refused with 5xx at `RCPT TO`: the address is dead, not the server
  (yielded as `(key, SMTPRecipientsRefused)`, the send goes on);
- anything else (a 4xx, a refused sender, a refused `DATA` or message, a dropped
  connection): the server's error is raised and the connection dropped. The error
  carries `uncertain`: the keys whose message was handed over in full but whose
  answer never came (a connection lost after the final dot), which the caller must
  neither count as sent nor send again.

Without PIPELINING the same conversation waits for each reply before the next
command. Any other backend (locmem, console, a hosted sender) sends each message
with its own `send()`.
"""

import re
import smtplib
import socket
from collections import deque
from email.generator import BytesGenerator
from io import BytesIO

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

CRLF = b"\r\n"
# An address Django's sanitize_address returns unchanged: a dot-atom local part and an
# ASCII host name (no display name, nothing to encode).
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                           r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def envelope_address(address, encoding):
    """The address as it goes into MAIL FROM / RCPT TO: Django's sanitize_address,
    skipped for a plain address (most of a list), where it changes nothing."""
    if PLAIN_ADDRESS.fullmatch(address):
        return "<" + address + ">"
    return smtplib.quoteaddr(sanitize_address(address, encoding))
NEWLINES = re.compile(r"\r\n|\r|\n")


def dot_stuffed(data):
    """A flattened message (CRLF lines) as the DATA payload: leading dots doubled and the
    final dot (what smtplib's data() sends)."""
    data = smtplib._quote_periods(data)
    return data + (b"." + CRLF if data.endswith(CRLF) else CRLF + b"." + CRLF)


class BatchGenerator(BytesGenerator):
    """email's BytesGenerator, byte for byte, with two shortcuts for a batch of messages
    that share most headers: a header (name and value) folded once is not folded again
    (`cache`, one per batch), and text lines are converted to CRLF in one pass instead of
    one write per line."""

    def __init__(self, *args, cache=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._folded = {} if cache is None else cache

    def clone(self, fp):
        twin = super().clone(fp)
        twin._folded = self._folded
        return twin

    def _write_headers(self, msg):
        policy = self.policy
        folded, fold = self._folded, policy.fold_binary
        rules = (type(policy), policy.linesep, policy.max_line_length, policy.cte_type)
        for name, value in msg.raw_items():
            if isinstance(value, str):
                line = folded.get((rules, name, value))
                if line is None:
                    line = folded[(rules, name, value)] = fold(name, value)
            else:
                line = fold(name, value)
            self._fp.write(line)
        self.write(self._NL)

    def _write_lines(self, lines):
        if lines:
            self.write(NEWLINES.sub(self._NL, lines))


def pipelining_enabled():
    """NEWSLETTERS_SMTP_PIPELINING (default on): off makes the conversation wait for
    each reply even when the server offers PIPELINING."""
    return bool(getattr(settings, "NEWSLETTERS_SMTP_PIPELINING", True))


def permanent(refused):
    """True if every recipient was refused for good (5xx): the address is dead."""
    return bool(refused) and all(500 <= code < 600 for code, _reply in refused.values())


def handover(connection, items, before_data=None):
    """Hand over `items`, an iterable of (key, EmailMessage) pulled one at a time, and
    yield (key, refusal) for each, in order: refusal is None when the server took the
    message, an SMTPRecipientsRefused when it refused the recipient for good. Raises
    the mail server's error otherwise, with `error.uncertain` (see the module).
    `before_data(key)` is called right before the message itself goes out (after the
    server accepted its envelope): the last moment to record that it is handed over."""
    before_data = before_data or (lambda key: None)
    if isinstance(connection, SMTPBackend):
        return _smtp(connection, iter(items), before_data)
    return _one_by_one(iter(items), before_data)


def _one_by_one(items, before_data):
    """Another backend's own send(); an error with no answer from the server (a dropped
    connection, a timeout) leaves that message uncertain."""
    for key, message in items:
        before_data(key)
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as error:
            if permanent(error.recipients):
                yield key, error
                continue
            error.uncertain = []
            raise
        except (smtplib.SMTPResponseException, OSError, smtplib.SMTPException) as error:
            answered = isinstance(error, smtplib.SMTPResponseException)
            error.uncertain = [] if answered else [key]
            raise
        yield key, None


class _Conversation:
    """Commands written at once (pipelined) or each followed by its reply; replies
    always come back in the order the commands went."""

    def __init__(self, smtp, pipelined):
        self.smtp, self.pipelined = smtp, pipelined
        self.early = deque()

    def command(self, *chunks):
        if self.pipelined:
            self.smtp.send(b"".join(chunks))
            return
        for chunk in chunks:
            self.smtp.send(chunk)
            self.early.append(self.smtp.getreply())

    def reply(self):
        return self.early.popleft() if self.early else self.smtp.getreply()


class _Envelope:
    __slots__ = ("key", "message", "recipients", "commands", "data")

    def __init__(self, key, message, recipients, commands):
        self.key, self.message, self.recipients = key, message, recipients
        self.commands, self.data = commands, None


def _smtp(backend, items, before_data):
    if backend.connection is None:
        backend.open()
    smtp = backend.connection
    smtp.ehlo_or_helo_if_needed()
    pipelined = pipelining_enabled() and smtp.has_extn("pipelining")
    body_option = b" BODY=8BITMIME" if smtp.has_extn("8bitmime") else b""
    try:  # small writes (an envelope) go out at once, not after the previous ACK
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
    talk = _Conversation(smtp, pipelined)
    senders = {}  # the From of a batch is the same for every reader: sanitized once
    folded = {}  # headers the batch's messages share, folded once (BatchGenerator)

    def envelope(item):
        """The message's envelope commands (MAIL FROM, one RCPT TO each, DATA), unsent."""
        key, message = item
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = senders.get((message.from_email, encoding))
        if sender is None:
            sender = senders[(message.from_email, encoding)] = smtplib.quoteaddr(
                sanitize_address(message.from_email, encoding))
        recipients = [envelope_address(address, encoding) for address in message.recipients()]
        commands = [b"MAIL FROM:" + sender.encode("ascii") + body_option + CRLF,
                    *[b"RCPT TO:" + address.encode("ascii") + CRLF for address in recipients],
                    b"DATA" + CRLF]
        return _Envelope(key, message, recipients, commands)

    def content(message):
        """The message as the DATA payload: CRLF lines, leading dots doubled, the final
        dot (what smtplib's data() sends). A newsletter message makes its own from its
        batch's byte template (render.py) when it can."""
        prepared = getattr(message, "smtp_data", None)
        data = prepared(folded) if prepared is not None else None
        if data is not None:
            return data
        out = BytesIO()
        BatchGenerator(out, mangle_from_=False, cache=folded).flatten(
            message.message(), unixfrom=False, linesep="\r\n")
        return dot_stuffed(out.getvalue())

    in_flight = None
    try:
        item = next(items, None)
        current = envelope(item) if item is not None else None
        if current is not None:
            talk.command(*current.commands)
        while current is not None:
            if current.data is None:
                current.data = content(current.message)
            mail = talk.reply()
            answers = [talk.reply() for _address in current.recipients]
            data_reply = talk.reply()
            if mail[0] != 250:
                raise smtplib.SMTPSenderRefused(mail[0], mail[1], current.message.from_email)
            refused = {address: answer for address, answer
                       in zip(current.recipients, answers, strict=True)
                       if answer[0] not in (250, 251)}
            if len(refused) == len(current.recipients):
                if data_reply[0] == 354:  # a server that takes DATA with no recipient
                    talk.command(b"." + CRLF)
                    talk.reply()
                error = smtplib.SMTPRecipientsRefused(refused)
                if not permanent(refused):
                    raise error
                talk.command(b"RSET" + CRLF)
                talk.reply()
                yield current.key, error
                item = next(items, None)
                current = envelope(item) if item is not None else None
                if current is not None:
                    talk.command(*current.commands)
                continue
            if data_reply[0] != 354:
                raise smtplib.SMTPDataError(*data_reply)
            before_data(current.key)
            item = next(items, None)
            following = envelope(item) if item is not None else None
            # The message, its final dot and the next envelope in one write: the server
            # reads them together and answers them in one write too. (Sent apart, the
            # next envelope can cross the server's "250" on the wire, and its answers
            # then wait for a delayed ACK: Nagle's algorithm on the server's side.)
            in_flight = current.key
            talk.command(current.data, *(following.commands if following else ()))
            if following is not None:  # built while the server files `current`
                following.data = content(following.message)
            final = talk.reply()
            in_flight = None
            if final[0] != 250:
                raise smtplib.SMTPDataError(*final)
            yield current.key, None
            current = following
    except (smtplib.SMTPException, OSError) as error:
        error.uncertain = [in_flight] if in_flight is not None else []
        _drop(backend)
        raise
    except BaseException:
        _drop(backend)
        raise


def _drop(backend):
    """Close the socket without QUIT: after an error mid-conversation the server may
    be reading a message, and a QUIT would only wait for the timeout."""
    if backend.connection is not None:
        try:
            backend.connection.close()
        finally:
            backend.connection = None
