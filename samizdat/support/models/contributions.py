"""Money state: one-off contributions, recurring pledges, provider events, the ledger.

Only a verified provider event changes money state (see support/webhooks.py);
the ledger is append-only and `check_ledger` recomputes every status from it.
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..crypto import EncryptedEmailField, UnreadableEmail, blind_index
from ..money import format_money

__all__ = [
    "Contribution",
    "GiftOrPlan",
    "Frequency",
    "LedgerEntry",
    "LedgerEntryQuerySet",
    "Pledge",
    "ProviderEvent",
    "Supporter",
    "SupporterQuerySet",
    "new_reference",
]

# No 0/O, 1/I/L: the reference is read aloud and typed into bank forms.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference():
    """A short unguessable reference shown to the reader (thank-you URL, bank transfer)."""
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(12))
    return f"{body[:4]}-{body[4:8]}-{body[8:]}"


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class SupporterQuerySet(models.QuerySet):
    def with_email(self, email):
        """Supporters with this address (any letter case), found by its blind index."""
        index = blind_index(email)
        return self.filter(email_index=index) if index else self.none()

    def with_index(self, index):
        return self.filter(email_index=index) if index else self.none()

    def for_email(self, email):
        """The supporter with this address, created if there is none: one row per address."""
        return self.with_email(email).first() or self.create(email=email)


class Supporter(models.Model):
    """The one place a supporter's e-mail lives, encrypted (support/crypto.py).

    No name, address or phone: a supporter is only an address to send receipts
    and self-service links to. The address is a Fernet token in the database,
    found through `email_index` (an HMAC of the normalised address). Retention
    (support/retention.py) blanks both and keeps the row: the ledger's
    pseudonymous supporter id.
    """

    email = EncryptedEmailField(
        _("e-mail"), max_length=254, blank=True, db_column="email_ciphertext"
    )
    email_index = models.CharField(
        _("e-mail blind index"), max_length=64, blank=True, db_index=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    forgotten_at = models.DateTimeField(_("contact data erased"), null=True, blank=True)
    # The supporter's own choice on the manage page; empty: the newsroom's default.
    discreet_emails = models.BooleanField(_("discreet e-mails"), null=True, blank=True)

    objects = SupporterQuerySet.as_manager()

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")

    def __str__(self):
        # Never the address: labels end up in logs and the admin's audit log.
        return f"supporter {self.pk}"

    def save(self, *args, **kwargs):
        if isinstance(self.email, UnreadableEmail):
            # No key reads it: keep the token and its index as they are (crypto.py).
            super().save(*args, **kwargs)
            return
        self.email = (self.email or "").strip()
        self.email_index = blind_index(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_index"}
        super().save(*args, **kwargs)


class CheckoutEmail(models.Model):
    """The address a reader typed at checkout, kept encrypted on the pending gift or plan.

    No Supporter exists before a verified payment: anyone can type anyone's address
    into the form, and a Supporter row is what earns an address e-mail (manage links).
    When the provider's verified event says money arrived (or a plan started),
    support/webhooks.py links or creates the Supporter and blanks this copy.
    Erasure (retention.forget_address) blanks it by its blind index.
    """

    checkout_email = EncryptedEmailField(
        _("e-mail given at checkout"), max_length=254, blank=True,
        db_column="checkout_email_ciphertext",
    )
    checkout_email_index = models.CharField(
        _("checkout e-mail blind index"), max_length=64, blank=True, db_index=True,
        editable=False,
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Only a save that writes the address computes its index: a money update
        # (update_fields without it) must not depend on the index key (lost keys).
        update_fields = kwargs.get("update_fields")
        writes = update_fields is None or "checkout_email" in update_fields
        if writes and not isinstance(self.checkout_email, UnreadableEmail):
            self.checkout_email = (self.checkout_email or "").strip()
            self.checkout_email_index = blind_index(self.checkout_email)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "checkout_email_index"}
        super().save(*args, **kwargs)

    @property
    def email(self):
        """The supporter's address once money arrived; before, the one typed at checkout."""
        if self.supporter_id:
            return self.supporter.email
        return self.checkout_email or ""


class GiftOrPlan(CheckoutEmail):
    """What a one-off gift and a recurring plan share: who, how much, through whom, from
    which appeal. Provider events move either the same way (support/webhooks.py)."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, default=new_reference)
    provider = models.CharField(_("payment method"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3)
    checkout_ref = models.CharField(
        _("checkout reference"), max_length=255, blank=True, db_index=True
    )
    customer_ref = models.CharField(_("customer reference"), max_length=255, blank=True)
    appeal = models.CharField(_("appeal"), max_length=64, blank=True)
    variant = models.CharField(_("variant"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Chosen on the contribution form (or later on the manage page); empty: the default.
    discreet_emails = models.BooleanField(_("discreet e-mails"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The field by which an event or a ledger entry points to this kind of subject.
    subject_field = ""
    recurring = False

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def attach(self, row):
        """Point a ProviderEvent or LedgerEntry to this gift or plan."""
        setattr(row, self.subject_field, self)

    def has_started(self):
        """A plan the provider started counts as money arrived before its first payment
        (support/webhooks.money_arrived); a one-off gift starts only with its payment."""
        return False


class Contribution(GiftOrPlan):
    """A one-off gift. Starts pending; provider events move it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Abandoned")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Disputed")
        # Money arrived, but not the amount or currency asked for: staff must look.
        MISMATCH = "mismatch", _("Amount differs")

    supporter = models.ForeignKey(
        Supporter, verbose_name=_("supporter"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="contributions",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    amount_minor = models.PositiveBigIntegerField(_("amount (minor units)"))
    payment_ref = models.CharField(
        _("payment reference"), max_length=255, blank=True, db_index=True
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    frequency = Frequency.ONCE
    subject_field = "contribution"

    class Meta(GiftOrPlan.Meta):
        verbose_name = _("one-off gift")
        verbose_name_plural = _("one-off gifts")

    def __str__(self):
        return f"{self.reference} {format_money(self.amount_minor, self.currency)} ({self.status})"


class Pledge(GiftOrPlan):
    """A recurring plan (monthly or annual). Starts pending; provider events move it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        PAUSED = "paused", _("Paused")
        CANCELED = "canceled", _("Canceled")

    supporter = models.ForeignKey(
        Supporter, verbose_name=_("supporter"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="pledges",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    amount_minor = models.PositiveBigIntegerField(_("amount per period (minor units)"))
    frequency = models.CharField(
        _("frequency"), max_length=10,
        choices=[
            (Frequency.MONTHLY, Frequency.MONTHLY.label),
            (Frequency.ANNUAL, Frequency.ANNUAL.label),
        ],
    )
    subscription_ref = models.CharField(
        _("subscription reference"), max_length=255, blank=True, db_index=True
    )
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    # What the reader asked for at checkout; amount_minor follows the provider's plan.
    asked_amount_minor = models.PositiveBigIntegerField(
        _("amount asked at checkout (minor units)"), null=True, blank=True, editable=False
    )
    # A payment arrived that is not the plan's amount or currency (support/ledger.py).
    amount_mismatch = models.BooleanField(
        _("payment differs from plan"), default=False, db_index=True
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True)
    # When the current pause began (empty unless the plan is paused).
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)

    subject_field = "pledge"
    recurring = True

    class Meta(GiftOrPlan.Meta):
        verbose_name = _("recurring plan")
        verbose_name_plural = _("recurring plans")

    def __str__(self):
        amount = f"{format_money(self.amount_minor, self.currency)}/{self.frequency}"
        return f"{self.reference} {amount} ({self.status})"

    def has_started(self):
        return self.activated_at is not None

    def save(self, *args, **kwargs):
        if self.asked_amount_minor is None and self.amount_minor:
            self.asked_amount_minor = self.amount_minor
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "asked_amount_minor"}
        super().save(*args, **kwargs)


class ProviderEvent(models.Model):
    """A verified provider event, stored once by its id, applied at most once."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        WAITING = "waiting", _("Waiting for its contribution or pledge")
        IGNORED = "ignored", _("Ignored")

    provider = models.CharField(_("provider"), max_length=40)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    # What the event means, normalised once when it was recorded (support/facts.py):
    # {"version": 1, "facts": [...]}, or {"version": 1, "error": why they could not be read}.
    facts = models.JSONField(_("facts"), null=True, blank=True, editable=False)
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED,
        db_index=True,
    )
    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    pledge = models.ForeignKey(
        Pledge, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="support_event_once"),
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id} {self.type}"


class LedgerEntryQuerySet(models.QuerySet):
    """Bulk edits would bypass the model guard, so they are refused too."""

    def update(self, **kwargs):
        raise TypeError("Ledger entries are append-only.")

    def delete(self):
        raise TypeError("Ledger entries are append-only.")

    def bulk_update(self, *args, **kwargs):
        raise TypeError("Ledger entries are append-only.")


class LedgerEntry(models.Model):
    """One movement of money as the provider reported it. Appended, never edited.

    Signed amounts: payments and reinstated disputes positive; refunds, disputes and
    fees negative.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")
        DISPUTE = "dispute", _("Dispute")
        # A dispute the outlet won: the provider gave the disputed funds back.
        REINSTATED = "reinstated", _("Dispute won")
        FEE = "fee", _("Fee")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount_minor = models.BigIntegerField(_("amount (minor units, signed)"))
    currency = models.CharField(_("currency"), max_length=3)
    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    pledge = models.ForeignKey(
        Pledge, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    event = models.ForeignKey(
        ProviderEvent, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    provider = models.CharField(_("provider"), max_length=40)
    provider_ref = models.CharField(
        _("provider reference"), max_length=255, blank=True, db_index=True
    )
    source_ref = models.CharField(_("paid by"), max_length=255, blank=True, db_index=True)
    # What the money was for when it moved: a later change of plan must not rewrite a
    # receipt ("once", "monthly" or "annual"; blank only for entries from before 0010).
    frequency = models.CharField(_("frequency"), max_length=10, blank=True,
                                 choices=Frequency.choices)
    occurred_at = models.DateTimeField(_("occurred"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(contribution__isnull=False, pledge__isnull=True)
                    | models.Q(contribution__isnull=True, pledge__isnull=False)
                ),
                name="support_ledger_one_subject",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {format_money(self.amount_minor, self.currency)}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise TypeError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger entries are append-only.")

    @property
    def subject(self):
        return self.contribution or self.pledge
