"""What a Stripe supporter changes on their plan, and fixing a failed renewal: Stripe's
side of the "manage my support" actions (support/actions/), kept apart from checkout,
webhooks and reconciliation in stripe.py."""

import stripe
from django.utils.translation import gettext_lazy as _

from .base import InvalidEvent, ProviderError
from .deadline_http import provider_error

DECLINED = _("The payment was declined again. Update your card, then try once more.")
INTERVALS = {"monthly": "month", "annual": "year"}
# Our reference in a Stripe object's metadata (its gift or plan).
REFERENCE_KEY = "samizdat_reference"


def _id(value):
    """An expandable field: an id string, an embedded object, or nothing; anything else
    (a list, a number) is not what Stripe sends."""
    if isinstance(value, dict):
        return value.get("id", "")
    if value is None or isinstance(value, str):
        return value or ""
    raise InvalidEvent("an id is neither a string nor an object")


class StripePlans:
    """Mixed into StripeProvider (which gives `client` and `options`)."""

    def _subscription(self, pledge):
        return self.client.v1.subscriptions.retrieve(pledge.subscription_ref)

    def cancel_recurring(self, pledge, reason=""):
        try:
            return self.client.v1.subscriptions.cancel(pledge.subscription_ref)
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc

    def change_recurring(self, pledge, amount_minor=None, frequency=None):
        """A new amount or interval from the next period, without proration.

        Uses a Plan (which both Stripe and localstripe accept) rather than price_data.
        """
        amount_minor = amount_minor or pledge.amount_minor
        frequency = frequency or pledge.frequency
        try:
            subscription = self._subscription(pledge).to_dict()
            item = subscription["items"]["data"][0]
            plan = item.get("plan") or {}
            product = _id(plan.get("product"))
            new_plan = self.client.v1.plans.create(params={
                "amount": amount_minor,
                "currency": pledge.currency.lower(),
                "interval": INTERVALS[frequency],
                "product": product,
            })
            return self.client.v1.subscriptions.update(pledge.subscription_ref, params={
                "items": [{"id": item["id"], "plan": new_plan.id}],
                "metadata": {REFERENCE_KEY: pledge.reference},
                # Stripe's default (create_prorations) would bill or credit the rest of
                # the current period; a supporter's change starts with the next one.
                "proration_behavior": "none",
            })
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc

    def pause_recurring(self, pledge, resume=False):
        value = "" if resume else {"behavior": "void"}
        try:
            return self.client.v1.subscriptions.update(
                pledge.subscription_ref, params={"pause_collection": value}
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc

    # A failed renewal: a new card, then the open invoice again -----------
    def payment_update_url(self, pledge, return_url):
        """Stripe's hosted billing portal, opened on its "update payment method" flow: the
        card is typed on Stripe's page (no Stripe script on ours), and becomes the default
        for the customer and their subscriptions. Needs the portal's default configuration
        saved once in the Stripe dashboard (docs/payments.md)."""
        try:
            customer = pledge.customer_ref or _id(self._subscription(pledge).customer)
            session = self.client.v1.billing_portal.sessions.create(params={
                "customer": customer,
                "return_url": return_url,
                "locale": "ru" if (pledge.language or "").startswith("ru") else "auto",
                "flow_data": {"type": "payment_method_update",
                              "after_completion": {"type": "redirect",
                                                   "redirect": {"return_url": return_url}}},
            })
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return session.url

    def retry_failed_payment(self, pledge):
        """Ask Stripe to collect the plan's newest open invoice now, with the customer's
        current default card. True if Stripe took the payment (its invoice.paid event then
        records it), False if there was no open invoice to collect; a decline raises
        ProviderError saying so."""
        try:
            invoices = self.client.v1.invoices.list(
                params={"subscription": pledge.subscription_ref, "limit": 10})
            open_ = [invoice for invoice in invoices.data if invoice.status == "open"]
            if not open_:
                return False
            invoice = self.client.v1.invoices.pay(open_[0].id)
        except stripe.CardError as exc:
            raise ProviderError(DECLINED) from exc
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        if invoice.status != "paid":
            raise ProviderError(DECLINED)
        return True
