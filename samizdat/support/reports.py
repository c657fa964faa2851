"""Figures other apps read: which appeals and variants brought contributions."""

from collections import defaultdict

from django.db.models import Sum

from .models import LedgerEntry

__all__ = ["conversions_by_appeal"]


def conversions_by_appeal():
    """One row per (appeal, variant, currency) over paid gifts and plans that carry an appeal.

    conversions: contributions or pledges with at least one payment;
    revenue_minor: their net ledger total (payments less refunds, disputes, fees).
    """
    rows = defaultdict(lambda: {"subjects": set(), "revenue_minor": 0})
    for subject_field in ("contribution", "pledge"):
        paid_ids = LedgerEntry.objects.filter(
            kind="payment", **{f"{subject_field}__isnull": False}
        ).values_list(subject_field, flat=True)
        entries = (
            LedgerEntry.objects.filter(**{f"{subject_field}__in": paid_ids})
            .exclude(**{f"{subject_field}__appeal": ""})
            .values(f"{subject_field}__appeal", f"{subject_field}__variant", "currency",
                    subject_field)
            .annotate(total=Sum("amount_minor"))
        )
        for entry in entries:
            key = (entry[f"{subject_field}__appeal"], entry[f"{subject_field}__variant"],
                   entry["currency"])
            rows[key]["subjects"].add((subject_field, entry[subject_field]))
            rows[key]["revenue_minor"] += entry["total"] or 0
    return [
        {"appeal": appeal, "variant": variant, "conversions": len(row["subjects"]),
         "revenue_minor": row["revenue_minor"], "currency": currency}
        for (appeal, variant, currency), row in sorted(rows.items())
    ]
