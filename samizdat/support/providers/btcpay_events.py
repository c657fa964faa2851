"""BTCPay's webhook events this site handles, and the fields of each event it stores.

Kept apart from the provider (providers/btcpay.py) so the vocabulary reads in one
place: BTCPay's invoice events, the plan and refund events this site signs itself, the
payout and subscription events (their own modules), and the allow-list of payload
fields (`keep_fields`) that reach the database: nothing else of a payload is stored.
"""

from .btcpay_payouts import CHECKED, PAYOUT_EVENTS, PAYOUT_FIELDS
from .btcpay_reconcile import FOUND
from .btcpay_subscriptions import SUBSCRIPTION_FIELDS

SIGNATURE_HEADER = "BTCPay-Sig"
REFERENCE_KEY = "samizdat_reference"
PERIOD_KEY = "samizdat_period"
HANDLED_EVENTS = {
    "InvoiceSettled",
    "InvoicePaymentSettled",
    "InvoiceProcessing",
    "InvoiceExpired",
    "InvoiceInvalid",
    FOUND,  # the same, for an invoice reconciliation found (providers/btcpay_reconcile.py)
}
# A reminder plan's life, recorded by this site itself (support/btcpay_plans.py), signed
# like BTCPay's events and handed to the same receiver.
PLAN_EVENTS = {
    "SamizdatReminderSent",
    "SamizdatPlanPastDue",
    "SamizdatPlanEnded",
    "SamizdatPlanChanged",
}
# A refund staff asked for (support/btcpay_refunds.py), and BTCPay's word that it was paid:
# its payout events, or our own checks of them (providers/btcpay_payouts.py).
REFUND_EVENTS = {"SamizdatRefundRequested", "SamizdatRefundPaid"} | PAYOUT_EVENTS | {CHECKED}
PAYOUTS = "samizdat_payouts"
# What Greenfield told us about the invoice, put into the event before it is stored.
FETCHED = "samizdat_invoice"

_METADATA = {REFERENCE_KEY: True, PERIOD_KEY: True, "orderId": True}
STORED_FIELDS = {
    **SUBSCRIPTION_FIELDS,
    "deliveryId": True,
    "webhookId": True,
    "originalDeliveryId": True,
    "isRedelivery": True,
    "type": True,
    "timestamp": True,
    "storeId": True,
    "invoiceId": True,
    "metadata": _METADATA,
    "manuallyMarked": True,
    "overPaid": True,
    "partiallyPaid": True,
    "afterExpiration": True,
    "paymentMethodId": True,
    "reason": True,
    "period": True,
    "amount_minor": True,
    "frequency": True,
    "pullPaymentId": True,
    **PAYOUT_FIELDS,  # payouts of refunds: providers/btcpay_payouts.py
    PAYOUTS: [{"id": True, "state": True, "originalAmount": True, "originalCurrency": True}],
    "payment": {"id": True, "value": True, "status": True, "receivedDate": True},
    FETCHED: {
        "id": True,
        "status": True,
        "additionalStatus": True,
        "amount": True,
        "currency": True,
        "metadata": _METADATA,
        "payments": [
            {
                "id": True,
                "method": True,
                "value": True,
                "rate": True,
                "status": True,
                "receivedDate": True,
            }
        ],
    },
}

