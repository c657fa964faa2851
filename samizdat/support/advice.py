"""What each payment method reveals, and the reader-chosen "risky country" switch.

The switch is the reader's own choice, carried in the URL (`?risk=1`) and in the
form's hidden field: never guessed from an address, never kept in a cookie or on
the server. It puts crypto first, ticks discreet e-mails, and links to the advice.

Notes and texts come from the staff-edited SupportPageCopy of the page's language;
whatever staff left empty is the reviewed default below (translated like any string).
A provider's note is found by its configured name ("stripe", "btcpay"), then by its
module's name, so a BTCPay provider configured under another name keeps its note.
"""

from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

__all__ = [
    "BANK",
    "CARD",
    "CRYPTO",
    "PageCopy",
    "is_risky",
    "method_kind",
    "method_notes",
    "order_methods",
    "page_copy",
]

CARD, BANK, CRYPTO = "card", "bank_transfer", "crypto"

# Provider names (alias or module) and the kind of rail they are.
KIND_BY_NAME = {"stripe": CARD, "demo": CARD, "bank_transfer": BANK, "btcpay": CRYPTO}

DEFAULT_NOTES = {
    CARD: _(
        "Your bank and the card network (Visa, Mastercard…) see a payment to us, "
        "with its date and amount. We never see your card number; we keep your e-mail "
        "address, encrypted."
    ),
    BANK: _(
        "Your bank sees the payee (us) and the reference you type, and our bank sees "
        "the name on your account. We keep your e-mail address, encrypted."
    ),
    CRYPTO: _(
        "The payment is written on a public ledger that anyone can read, but it "
        "carries no name: we see only that it arrived. Without an e-mail address, "
        "we keep nothing about you."
    ),
}

DEFAULT_MONEY_DOES = _(
    "Your money pays reporters' fees, the editors who check every story, and the servers "
    "and mirrors that keep us readable where we are blocked. We take no advertising and no "
    "money from governments."
)
DEFAULT_PRIVACY = _(
    "We ask for no name, address or phone number. Your e-mail address, if you give one, is "
    "kept encrypted, used only for receipts and your support, never shared or sold, and "
    "deleted on request."
)
DEFAULT_WE_KEEP = _(
    "What we keep: your e-mail address, encrypted, if you give one, and the amount and "
    "date of each payment. For a one-off crypto gift without an e-mail address: nothing "
    "that names you."
)
DEFAULT_ADVICE_TITLE = _("Supporting us safely")

DEFAULT_OTHER_WAYS = [
    (
        _("A friend abroad"),
        _(
            "Ask someone you trust outside the country to give on your behalf: nothing links "
            "their gift to you."
        ),
    ),
]


@dataclass
class PageCopy:
    """The words of the support pages in one language, staff's or the defaults."""

    money_does: str
    privacy_promise: str
    we_keep: str
    advice_title: str
    advice: str  # staff's rich text; "" means the template shows the default advice
    notes: dict = field(default_factory=dict)  # provider name -> note
    other_ways: list = field(default_factory=list)  # (title, text, url)


def page_copy(language=None):
    """The support page's words in `language` (the active one by default)."""
    from .models import SupportPageCopy

    language = (language or get_language() or "en").split("-")[0]
    row = (
        SupportPageCopy.objects.filter(language=language)
        .prefetch_related("method_notes", "other_ways")
        .first()
    )
    if row is None:
        return PageCopy(
            str(DEFAULT_MONEY_DOES),
            str(DEFAULT_PRIVACY),
            str(DEFAULT_WE_KEEP),
            str(DEFAULT_ADVICE_TITLE),
            "",
            other_ways=[(str(t), str(x), "") for t, x in DEFAULT_OTHER_WAYS],
        )
    return PageCopy(
        money_does=row.money_does or str(DEFAULT_MONEY_DOES),
        privacy_promise=row.privacy_promise or str(DEFAULT_PRIVACY),
        we_keep=row.we_keep or str(DEFAULT_WE_KEEP),
        advice_title=row.advice_title or str(DEFAULT_ADVICE_TITLE),
        advice=row.advice,
        notes={n.method.strip().lower(): n.note for n in row.method_notes.all()},
        other_ways=[(w.title, w.text, w.url) for w in row.other_ways.all()],
    )


def _names(provider):
    """The names a provider answers to: its configured alias, then its module's name."""
    return [provider.identifier.lower(), type(provider).__module__.rsplit(".", 1)[-1].lower()]


def method_kind(provider):
    """card, bank_transfer or crypto (or "" for a rail this module does not know): what
    the provider says it is, else what its name says."""
    if getattr(provider, "method_kind", ""):
        return provider.method_kind
    for name in _names(provider):
        if name in KIND_BY_NAME:
            return KIND_BY_NAME[name]
    return ""


def method_notes(methods, copy):
    """[(provider, note)] for the methods offered: staff's note for its name, else the
    default for its kind, else no note."""
    found = []
    for provider in methods:
        note = next((copy.notes[n] for n in _names(provider) if n in copy.notes), None)
        if note is None:
            note = str(DEFAULT_NOTES.get(method_kind(provider), ""))
        found.append((provider, note))
    return found


def is_risky(source):
    """The reader's switch, from GET or POST data: "1" on, anything else off."""
    return (source.get("risk") or "") == "1"


def order_methods(methods, risky):
    """Crypto first when the reader said paying us may be risky; otherwise staff's order."""
    if not risky:
        return list(methods)
    return sorted(methods, key=lambda provider: method_kind(provider) != CRYPTO)
