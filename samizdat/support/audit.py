"""Who looked at supporters' records: one audit-log entry per staff view.

Every Fundraising listing page, every gift or plan opened, and every export
(support/exports.py) is written to Wagtail's log entries, which no admin
view edits or deletes. An entry names the user, the time, the record ids
(never an address) and the filters. A search query is kept only if it is a
gift's reference; any other text (an address, or part of one) is kept as
a keyed hash, so the log can answer "was this address looked up?" for
someone who already knows the address, without becoming a list of donors.

Listing views are logged against the funding goal settings, like exports;
a record view against the record itself.
"""

import re

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter, log

VIEW_LISTING = "support.view_listing"
VIEW_RECORD = "support.view_record"
EXPORT = "support.export"  # written by support/exports.py
TRANSFER_RECEIVED = "support.transfer_received"  # staff recorded money: who, what, how much
ACTIONS = (VIEW_LISTING, VIEW_RECORD, EXPORT, TRANSFER_RECEIVED)

# A whole reference only (models.new_reference): a fragment could be part of a name.
REFERENCE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")
HASH_PREFIX = "hmac:"
# Query parameters that only steer the page, not what it shows.
NOT_FILTERS = {"p", "export", "_w_filter_fragment"}


def hash_text(text):
    """A keyed hash of normalised text: comparable, not reversible without the key."""
    normal = " ".join(str(text).split()).lower()
    return HASH_PREFIX + salted_hmac("samizdat.support.audit", normal).hexdigest()[:20]


def safe_query(text):
    """A search as the log may keep it: a reference as typed, anything else hashed."""
    text = " ".join(str(text or "").split())
    if not text:
        return ""
    if REFERENCE.fullmatch(text.upper()):
        return text.upper()
    return hash_text(text)


def safe_filters(params):
    """Filters from a query string; the search under "q"; values with "@" hashed."""
    filters = {}
    for key in sorted(params):
        if key in NOT_FILTERS:
            continue
        values = [v for v in params.getlist(key) if v != ""]
        if not values:
            continue
        if key == "q":
            values = [safe_query(v) for v in values]
        else:
            values = [hash_text(v) if "@" in v else v[:100] for v in values]
        filters[key[:50]] = values[0] if len(values) == 1 else values
    return filters


def safe_querystring(params):
    """The query string of a listing as the log may keep it (see safe_filters)."""
    from urllib.parse import urlencode

    return urlencode(safe_filters(params), doseq=True)


def log_listing(request, model, object_list, count, page_number):
    """One entry per listing page: which ids it showed, how many matched, under which filters."""
    from .models import FundingGoal

    filters = safe_filters(request.GET)
    query = filters.pop("q", "")
    return log(
        FundingGoal.load(),
        VIEW_LISTING,
        user=request.user,
        data={
            "listing": model._meta.model_name,
            "count": count,
            "page": page_number,
            "ids": [obj.pk for obj in object_list],
            "filters": filters,
            "query": query,
        },
    )


def log_record(request, obj, view="inspect"):
    """One entry per record opened, kept against the record (its id, not its supporter)."""
    label = f"{obj._meta.verbose_name} {obj.reference}"
    return log(
        obj,
        VIEW_RECORD,
        user=request.user,
        title=label,
        data={"model": obj._meta.model_name, "id": obj.pk, "reference": obj.reference,
              "view": view},
    )


def log_transfer_received(request, contribution, amount_minor, received_on):
    """Staff marked a bank transfer as received: money entered the ledger by hand."""
    return log(
        contribution,
        TRANSFER_RECEIVED,
        user=request.user,
        title=f"{contribution._meta.verbose_name} {contribution.reference}",
        data={"id": contribution.pk, "reference": contribution.reference,
              "amount_minor": amount_minor, "currency": contribution.currency,
              "received_on": received_on.isoformat()},
    )


class TransferReceivedFormatter(LogFormatter):
    label = _("Record a bank transfer as received")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _("Recorded transfer %(reference)s as received: %(amount)s on %(day)s") % {
            "reference": data.get("reference", "?"),
            "amount": _logged_money(data),
            "day": data.get("received_on", "?"),
        }


def _logged_money(data):
    """The logged amount as the admin shows money ("$755.00"); as stored if it is not."""
    from .money import AmountError, format_money

    try:
        return format_money(int(data["amount_minor"]), data["currency"])
    except (KeyError, TypeError, ValueError, AmountError):
        return f"{data.get('amount_minor', '?')} {data.get('currency', '')}".strip()


class ListingViewFormatter(LogFormatter):
    label = _("View supporters' records (listing)")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _("Viewed page %(page)s of %(listing)s: %(shown)s of %(count)s records") % {
            "page": data.get("page", "?"),
            "listing": data.get("listing", "?"),
            "shown": len(data.get("ids") or []),
            "count": data.get("count", "?"),
        }


class RecordViewFormatter(LogFormatter):
    label = _("View a supporter's record")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _("Viewed %(model)s %(id)s (%(reference)s)") % {
            "model": data.get("model", "?"),
            "id": data.get("id", "?"),
            "reference": data.get("reference", ""),
        }


def register_log_actions(actions):
    actions.register_action(VIEW_LISTING)(ListingViewFormatter)
    actions.register_action(VIEW_RECORD)(RecordViewFormatter)
    actions.register_action(TRANSFER_RECEIVED)(TransferReceivedFormatter)


def describe(entry):
    """A log entry as the access-log page shows it: plain strings, no address."""
    from wagtail.log_actions import registry

    data = entry.data or {}
    if entry.action == VIEW_RECORD:
        records = f"{data.get('model', '?')} {data.get('id', entry.object_id)}"
        details = data.get("reference", "")
    elif entry.action == VIEW_LISTING:
        ids = data.get("ids") or []
        records = f"{data.get('listing', '?')}: {', '.join(str(i) for i in ids) or '—'}"
        details = _("%(count)s matching, page %(page)s") % {
            "count": data.get("count", "?"), "page": data.get("page", "?"),
        }
        extra = [f"{key}={value}" for key, value in (data.get("filters") or {}).items()]
        if data.get("query"):
            extra.append(f"q={data['query']}")
        if extra:
            details = f"{details}; {' '.join(extra)}"
    else:
        records = str(data.get("listing", ""))
        details = _("%(rows)s rows as %(format)s") % {
            "rows": data.get("rows", "?"), "format": str(data.get("format", "?")).upper(),
        }
        if data.get("query"):
            details = f"{details}; {data['query']}"
    return {
        "timestamp": entry.timestamp,
        "user": entry.user.get_username() if entry.user_id and entry.user else
        str(entry.user_id or "—"),
        "user_id": entry.user_id,
        "action": registry.get_action_label(entry.action),
        "records": records,
        "details": details,
    }
