"""Results per appeal and variant for the admin: counts, money, and which is best."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from samizdat.support.api import conversions_by_appeal

from .bayes import prob_best, verdict
from .models import Appeal, DailyCount, EventKind


def _conversions():
    """{(appeal id, variant): {"conversions", "revenue": {currency: minor}}} from the ledger.

    Paid contributions carry the appeal and variant they came from.
    """
    out = defaultdict(lambda: {"conversions": 0, "revenue": defaultdict(int)})
    for row in conversions_by_appeal():
        try:
            key = (int(row["appeal"]), str(row["variant"]))
        except (KeyError, TypeError, ValueError):
            continue
        out[key]["conversions"] += int(row.get("conversions") or 0)
        out[key]["revenue"][row.get("currency") or "USD"] += int(row.get("revenue_minor") or 0)
    return out


def _major(minor, currency):
    from babel.numbers import get_currency_precision

    digits = get_currency_precision(currency)
    return (Decimal(minor) / (10**digits)).quantize(Decimal(1).scaleb(-digits))


def _shown(amount, currency):
    """Money as the rest of the admin shows it ("$755.00", "755,00 €"), in the staff
    member's language."""
    from babel.numbers import format_currency
    from django.utils.translation import get_language

    try:
        return format_currency(amount, currency, locale=(get_language() or "en").replace("-", "_"))
    except ValueError:
        return format_currency(amount, currency, locale="en")


def appeal_results(appeals=None, since=None, gifts="ledger"):
    """[{appeal, variants: [...], verdict}] for every appeal, newest first.

    gifts="ledger" counts paid contributions (the truth, with revenue);
    gifts="events" counts the thank-you pages browsers reported (no revenue).
    """
    counts = DailyCount.objects.all()
    if since is not None:
        counts = counts.filter(day__gte=since)
    totals = defaultdict(int)
    for row in counts.values("appeal_id", "variant", "kind").annotate(n=Sum("count")):
        totals[(row["appeal_id"], row["variant"], row["kind"])] = row["n"]
    ledger = _conversions() if gifts == "ledger" else None
    appeals = appeals if appeals is not None else Appeal.objects.prefetch_related("variants")
    results = []
    for appeal in appeals.order_by("-pk") if hasattr(appeals, "order_by") else appeals:
        rows = []
        for variant in appeal.variants.all():
            key = (appeal.pk, variant.key)
            views = totals[(appeal.pk, variant.key, EventKind.VIEW)]
            clicks = totals[(appeal.pk, variant.key, EventKind.CLICK)]
            if ledger is not None:
                conversions = ledger[key]["conversions"] if key in ledger else 0
                revenue = dict(ledger[key]["revenue"]) if key in ledger else {}
            else:
                conversions = totals[(appeal.pk, variant.key, EventKind.CONVERSION)]
                revenue = {}
            money = []
            for cur, minor in sorted(revenue.items()):
                per_1000 = ((_major(minor, cur) * 1000 / views).quantize(Decimal("0.01"))
                            if views else None)
                money.append({"currency": cur, "amount": _major(minor, cur),
                              "shown": _shown(_major(minor, cur), cur),
                              "per_1000_views": per_1000,
                              "per_1000_shown": _shown(per_1000, cur) if views else None})
            rows.append({
                "key": variant.key,
                "weight": variant.weight,
                "views": views,
                "clicks": clicks,
                "click_rate": clicks / views if views else None,
                "closes": totals[(appeal.pk, variant.key, EventKind.CLOSE)],
                "reminders": totals[(appeal.pk, variant.key, EventKind.REMIND)],
                "conversions": conversions,
                "conversion_rate": conversions / views if views else None,
                "revenue": money,
            })
        arms = [(r["conversions"], r["views"]) for r in rows]
        chances = prob_best(arms)
        for row, chance in zip(rows, chances, strict=True):
            row["prob_best"] = chance
            row["prob_best_percent"] = round(chance * 100, 1)
            row["click_percent"] = (
                round(row["click_rate"] * 100, 2) if row["click_rate"] is not None else None
            )
        results.append({
            "appeal": appeal,
            "variants": rows,
            "verdict": verdict([r["key"] for r in rows], arms, chances),
        })
    return results
