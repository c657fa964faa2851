"""A small client for BTCPay Server's Greenfield API: the few calls Samizdat makes.

JSON over HTTP through deadline_http's client, so a BTCPay Server that hangs or
trickles is bounded like Stripe (SAMIZDAT_PROVIDER_TIMEOUT per call, the web
request's budget, at most SAMIZDAT_PROVIDER_CONCURRENCY calls waiting at once).
No retries: Greenfield has no idempotency key; a checkout retried after a
timeout finds its invoice again by orderId instead (providers/btcpay.py).

Every request's shape is checked against BTCPay's published OpenAPI document in
the tests (tests/support/btcpay_openapi/).
"""

import json
from urllib.parse import quote, urlencode

import stripe

from .base import ProviderError
from .deadline_http import DeadlineHTTPClient, provider_error

__all__ = ["Greenfield", "GreenfieldError"]


class GreenfieldError(ProviderError):
    """BTCPay answered, but not with what was asked (4xx/5xx): `status_code` says which."""

    def __init__(self, status_code, detail=""):
        self.status_code, self.detail = status_code, detail
        super().__init__()


class Greenfield:
    def __init__(self, base_url, store_id, api_key, timeout):
        self.base_url = base_url.rstrip("/")
        self.store_id = store_id
        self.api_key = api_key
        self.http = DeadlineHTTPClient(timeout=timeout)

    def _store_path(self, *parts):
        quoted = "/".join(quote(str(part), safe="") for part in parts)
        return f"/api/v1/stores/{quote(self.store_id, safe='')}/{quoted}"

    def call(self, method, path, body=None, query=None):
        """The decoded JSON answer, or ProviderError (unreachable, slow) / GreenfieldError."""
        url = self.base_url + path + (f"?{urlencode(query, doseq=True)}" if query else "")
        headers = {"Authorization": f"token {self.api_key}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        try:
            content, status, _headers = self.http._within_deadline(
                self.http.request, method, url, headers, data
            )
        except stripe.APIConnectionError as exc:  # what deadline_http raises
            raise provider_error(exc) from exc
        if status >= 400:
            raise GreenfieldError(status, content[:500].decode("utf-8", "replace"))
        try:
            return json.loads(content or b"null")
        except ValueError as exc:
            raise GreenfieldError(status, "not JSON") from exc

    # The calls --------------------------------------------------------------
    def create_invoice(self, body):
        return self.call("POST", self._store_path("invoices"), body)

    def invoices_by_order(self, order_id):
        return self.call("GET", self._store_path("invoices"), query={"orderId": order_id})

    def invoice(self, invoice_id):
        return self.call("GET", self._store_path("invoices", invoice_id))

    def payment_methods(self, invoice_id):
        return self.call("GET", self._store_path("invoices", invoice_id, "payment-methods"))

    def refund(self, invoice_id, body):
        return self.call("POST", self._store_path("invoices", invoice_id, "refund"), body)

    def invoices_page(self, start, end, skip, take):
        """One page of the store's invoices created between two Unix times, newest first."""
        query = {"startDate": start, "endDate": end, "skip": skip, "take": take}
        return self.call("GET", self._store_path("invoices"), query=query)

    def payouts(self, pull_payment_id, include_cancelled=False):
        """A pull payment's payouts: public, like the page the payer claims it on."""
        query = {"includeCancelled": "true"} if include_cancelled else None
        path = f"/api/v1/pull-payments/{quote(pull_payment_id, safe='')}/payouts"
        return self.call("GET", path, query=query)
