"""A batch's messages as SMTP bytes from one template (render._PreparedMessage.smtp_data).

What differs between readers (address, link, Message-ID, Date) is put into a batch's
template message as a stand-in of the same length made of letters and the address or
link's own punctuation: a header is then folded exactly where the reader's own would
be (email's compat32 folding looks only at lengths, spaces, commas and semicolons),
and each reader's value replaces its stand-in byte for byte. Anything the template
cannot reproduce exactly is left to the generator (None).
"""

import copy
import html
import re
from email.utils import formatdate
from io import BytesIO

from django.conf import settings

from .handover import PLAIN_ADDRESS, BatchGenerator, dot_stuffed

_PLAIN_VALUE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space
_SPLITS = re.compile(r"[;,]")
_BODY_LINE = 998  # over this, Django would have made the part quoted-printable


def _slot(kind, length, before, after):
    """A stand-in `length` long: a backquote, the kind's letter, then tildes, which
    nothing in an issue has in a row (and no stand-in is used unless found whole
    exactly as often as expected)."""
    middle = length - len(before) - len(after)
    if middle < 2:
        return None
    return before + "`" + kind + "~" * (middle - 2) + after


class _WireTemplate:
    """A batch's message flattened (and dot-stuffed) once with the stand-ins in, cut
    at each of them."""

    def __init__(self, data, slots):
        found = re.compile("(" + "|".join(re.escape(slot) for slot in slots) + ")")
        self.pieces = found.split(data.decode("ascii", "surrogateescape"))
        counts = {slot: self.pieces.count(slot) for slot in slots}
        # Each stand-in whole where it should be: the address, Message-ID and Date once,
        # the link at least once (its header and both parts).
        self.usable = all(counts[slot] == 1 for slot in slots[:1] + slots[2:]) and (
            counts[slots[1]] >= 1)
        self.pieces = [piece.encode("ascii", "surrogateescape") for piece in self.pieces]
        lines = data.split(b"\r\n")
        if any(len(line) - line.startswith(b"..") > _BODY_LINE for line in lines):
            self.usable = False

    def fill(self, values):
        return b"".join([values.get(piece, piece) for piece in self.pieces])


def wire(message, folded):
    """The DATA payload of `message` (a _PreparedMessage) from its batch's template for
    messages of its shape and lengths, or None (the caller flattens it)."""
    if len(message.to) != 1 or message.cc or message.bcc:
        return None
    to, url = message.to[0], message._url
    message_id = message.extra_headers.get("Message-ID")
    if message_id is None or any(name.lower() == "date" for name in message.extra_headers):
        return None  # not a delivery (a trial): the generator's own
    values = (to, url, message_id)
    if not (PLAIN_ADDRESS.fullmatch(to) and all(
            _PLAIN_VALUE.fullmatch(value) and not _SPLITS.search(value) for value in values)):
        return None
    if html.escape(url) != url or url.startswith("."):
        return None
    date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    checked = message._checked
    boundary = checked.get(("boundary",))
    if not boundary or boundary in url:
        return None
    extra = tuple((name, None if name == "Message-ID" else value.replace(url, "\0"))
                  for name, value in message.extra_headers.items())
    key = ("wire", id(message._parts), message.subject, message.from_email,
           tuple(message.reply_to), extra, len(to), len(url), len(message_id), len(date))
    template = checked.get(key)
    if template is None:
        slots = (_slot("t", len(to), "", "@s"), _slot("l", len(url), "https://s/", ""),
                 _slot("i", len(message_id), "<", "@s>"), _slot("d", len(date), "", ""))
        template = checked[key] = _make_template(message, folded, slots, extra)
    if template is None or not template.usable:
        return None
    return template.fill({template.pieces_slots[0]: to.encode("ascii"),
                          template.pieces_slots[1]: url.encode("ascii"),
                          template.pieces_slots[2]: message_id.encode("ascii"),
                          template.pieces_slots[3]: date.encode("ascii")})


def _make_template(message, folded, slots, extra):
    if None in slots:
        return None  # a value too short for a stand-in: rare enough to flatten
    to_slot, url_slot, id_slot, date_slot = slots
    twin = copy.copy(message)
    twin.to, twin._url = [to_slot], url_slot
    twin.extra_headers = {name: id_slot if value is None else value.replace("\0", url_slot)
                          for name, value in extra}
    mime = twin.message()
    if mime.get_boundary() != message._checked.get(("boundary",)):
        return None  # the batch's boundary was found in a part: flattened per reader
    # A quoted-printable part (a line over 998 bytes) may fold the link anywhere.
    if any(part["Content-Transfer-Encoding"] not in ("7bit", "8bit")
           for part in message._parts):
        return None
    mime.replace_header("Date", date_slot)
    out = BytesIO()
    BatchGenerator(out, mangle_from_=False, cache=folded).flatten(
        mime, unixfrom=False, linesep="\r\n")
    template = _WireTemplate(dot_stuffed(out.getvalue()), slots)
    template.pieces_slots = [slot.encode("ascii") for slot in slots]
    return template
