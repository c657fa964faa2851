"""A stand-in for BTCPay Server's Greenfield API on loopback, held to its OpenAPI document.

Every request the provider sends is matched to an operation of the pinned
documents (btcpay_openapi/greenfield-subset.json, and subscriptions-subset.json
for the Subscriptions API: offerings, plans, plan checkouts, subscribers; a fake
made with `subscriptions=False` is a server without it and answers its routes
404, as BTCPay before 2.3 does): its query parameters must be
ones the operation declares, its JSON body must validate against the
operation's request schema, its API key must be sent as BTCPay reads it, and
the permission the operation requires must be one docs/payments.md tells a
newsroom to grant. Every answer the fake gives validates against the
operation's response schema, and every webhook the tests send against the
event's schema, so the fake cannot drift from what BTCPay really says.

BTCPay's schemas put `additionalProperties: false` on members of an `allOf`,
which in JSON Schema would forbid the other members' fields; they are read as
BTCPay's own generator means them: the members merged into one object, unknown
fields refused.
"""

import hashlib
import hmac
import json
import re
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from openapi_schema_validator import OAS30Validator

DOCUMENT = json.loads(
    (Path(__file__).parent / "btcpay_openapi" / "greenfield-subset.json").read_text()
)
SUBSCRIPTIONS = json.loads(
    (Path(__file__).parent / "btcpay_openapi" / "subscriptions-subset.json").read_text()
)
API_KEY = "samizdat-test-api-key"
STORE_ID = "9CWQGmtfp8FqGYxxwuJ2QxkbQ6wzEUJHN9ZScvbkZpZf"
WEBHOOK_SECRET = "btcpay-webhook-secret-0123456789abcdef"
# What docs/payments.md tells a newsroom to grant the API key, and nothing more.
MINIMAL_PERMISSIONS = {
    "btcpay.store.canviewinvoices",
    "btcpay.store.cancreateinvoice",
    "btcpay.store.cancreatenonapprovedpullpayments",
    # Subscriptions (where the server has them): find or make the offering and its
    # plans, start plan checkouts, suspend a subscriber, open the subscriber portal.
    "btcpay.store.canviewofferings",
    "btcpay.store.canmodifyofferings",
    "btcpay.store.canmanagesubscribers",
}
# Where the document names a broader permission than the action requires: the refund
# action is authorised by CanCreateNonApprovedPullPayments
# (GreenfieldInvoiceController.cs), which CanCreatePullPayments includes
# (Hosting/BTCPayServerServices.cs); the narrower one is enough, and payouts then wait
# for staff's approval in BTCPay.
REQUIRED_BY_CONTROLLER = {
    ("post", "/api/v1/invoices/{invoiceId}/refund"): {
        "btcpay.store.cancreatenonapprovedpullpayments"
    },
}
# The store-scoped routes the provider uses are the same actions as the documented ones
# (BTCPayServer/Controllers/GreenField/GreenfieldInvoiceController.cs declares both).
STORE_SCOPED = re.compile(r"^/api/v1/stores/[^/]+(/invoices/[^/]+(/.*)?)$")


def _resolve(schema, seen=(), doc=None):
    """The schema with $refs replaced and allOf members merged into one."""
    doc = doc or DOCUMENT
    if isinstance(schema, list):
        return [_resolve(item, seen, doc) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return {}
        target = doc["components"]["schemas"][name]
        return _resolve(
            {**target, **{k: v for k, v in schema.items() if k != "$ref"}}, (*seen, name), doc
        )
    out = {key: _resolve(value, seen, doc) for key, value in schema.items() if key != "allOf"}
    for member in (_resolve(m, seen, doc) for m in schema.get("allOf", [])):
        for key, value in member.items():
            if key == "properties":
                out.setdefault("properties", {}).update(value)
            elif key == "required":
                out["required"] = sorted(set(out.get("required", [])) | set(value))
            elif key == "additionalProperties":
                if value is False:
                    out["additionalProperties"] = False
            else:
                out.setdefault(key, value)
    return out


def validation_errors(schema, value, doc=None):
    validator = OAS30Validator(_resolve(schema, doc=doc))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)
    ]


def operation(method, path, doc=None):
    """(template, operation) of the pinned documents for a request path, or (None, None);
    with `doc`, of that document only."""
    if doc is None:
        found = operation(method, path, SUBSCRIPTIONS)
        return found if found[0] else operation(method, path, DOCUMENT)
    scoped = STORE_SCOPED.match(path)
    if scoped and doc is DOCUMENT:
        path = "/api/v1" + scoped.group(1)
    for template, operations in doc["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    return None, None


def document_of(template):
    return SUBSCRIPTIONS if template in SUBSCRIPTIONS["paths"] else DOCUMENT


def webhook_errors(event):
    for doc in (DOCUMENT, SUBSCRIPTIONS):
        hook = doc["x-webhooks"].get(event["type"])
        if hook is not None:
            schema = hook["post"]["requestBody"]["content"]["application/json"]["schema"]
            return validation_errors(schema, event, doc)
    return [f"no webhook {event['type']} in the documents"]


def sign(body, secret=WEBHOOK_SECRET):
    """As Plugins/Webhooks/WebhookSender.cs: sha256=<hex HMAC-SHA256 of the body bytes>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeBTCPay:
    """Invoices, their payments and refunds in memory; faults on demand."""

    def __init__(self, subscriptions=True, store_currency=None):
        self.requests, self.errors = [], []
        self.invoices, self.methods, self.pull_payments = {}, {}, {}
        self.has_subscriptions = subscriptions
        # BTCPay prices a new plan in the store's default currency when it has one.
        self.store_currency = store_currency
        self.offerings, self.checkouts, self.subscribers = {}, {}, {}
        self.fault = None  # "500", "hang", or None
        self.hang = threading.Event()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = fake.answer(self.command, self.path, dict(self.headers), raw)
                if status is None:
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.hang.set()
        self.server.shutdown()
        self.server.server_close()

    # The API ----------------------------------------------------------------
    def answer(self, method, target, headers, raw):
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        template, op = operation(method, parts.path)
        doc = document_of(template)
        self.requests.append(
            {
                "method": method,
                "path": parts.path,
                "query": query,
                "body": json.loads(raw) if raw else None,
                "template": template,
            }
        )
        if op is None:
            self.errors.append(f"{method} {parts.path}: not in the OpenAPI document")
            return 404, {"code": "not-found", "message": "no such route"}
        self._check_request(method, parts.path, template, op, query, headers, raw, doc)
        if doc is SUBSCRIPTIONS and not self.has_subscriptions:
            return 404, {"code": "not-found", "message": "no such route"}  # before 2.3
        with self.lock:
            fault, self.fault = self.fault, None
        if fault == "hang":
            self.hang.wait(10)
            return None, None
        if fault == "500":
            return 500, {"code": "internal", "message": "boom"}
        route = self._subscriptions_route if doc is SUBSCRIPTIONS else self._route
        status, answer = route(method, parts.path, query, json.loads(raw) if raw else None)
        schema = (
            op["responses"]
            .get(str(status), {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        if schema is not None:
            self.errors += [
                f"answer of {method} {template}: {e}"
                for e in validation_errors(schema, answer, doc)
            ]
        return status, answer

    def _check_request(self, method, path, template, op, query, headers, raw, doc=DOCUMENT):
        where = f"{method} {template}"
        if headers.get("Authorization") != f"token {API_KEY}":
            self.errors.append(f"{where}: API key not sent as 'Authorization: token …'")
        for security in op.get("security", []):
            wanted = set(security.get("API_Key", []))
            wanted = REQUIRED_BY_CONTROLLER.get((method.lower(), template), wanted)
            if wanted and not wanted & MINIMAL_PERMISSIONS:
                self.errors.append(f"{where} needs {wanted}, not among the documented ones")
        declared = {p.get("name") for p in op.get("parameters", []) if p.get("in") == "query"}
        for name in query:
            if name not in declared:
                self.errors.append(f"{where}: query parameter {name!r} not in the document")
        body = op.get("requestBody")
        if body is not None:
            schema = body["content"]["application/json"]["schema"]
            if headers.get("Content-Type") != "application/json":
                self.errors.append(f"{where}: body not sent as application/json")
            try:
                value = json.loads(raw)
            except ValueError:
                self.errors.append(f"{where}: body is not JSON")
                return
            self.errors += [f"{where} body: {e}" for e in validation_errors(schema, value, doc)]
        elif raw:
            self.errors.append(f"{where}: a body where the document has none")

    def _route(self, method, path, query, body):
        segments = path.strip("/").split("/")
        if segments[:2] == ["api", "v1"] and segments[2] == "pull-payments":
            return 200, self.pull_payments.get(segments[3], {}).get("payouts", [])
        if segments[3] != STORE_ID:
            return 403, {"code": "unauthenticated", "message": "wrong store"}
        rest = segments[4:]
        if rest == ["invoices"] and method == "POST":
            return 200, self._create(body)
        if rest == ["invoices"]:
            orders = set(query.get("orderId", []))
            return 200, [
                i for i in self.invoices.values() if (i["metadata"] or {}).get("orderId") in orders
            ]
        invoice = self.invoices.get(rest[1])
        if invoice is None:
            return 404, {"code": "invoice-not-found", "message": "not found"}
        if len(rest) == 2:
            return 200, invoice
        if rest[2] == "payment-methods":
            return 200, self.methods[invoice["id"]]
        if rest[2] == "refund":
            return 200, self._refund(invoice, body)
        return 404, {"code": "not-found", "message": "no"}

    # The Subscriptions API ------------------------------------------------------
    def _subscriptions_route(self, method, path, query, body):
        segments = path.strip("/").split("/")[2:]
        if segments[0] == "plan-checkout" and method == "POST" and len(segments) == 1:
            return self._plan_checkout(body)
        if segments[0] == "subscriber-portal" and method == "POST":
            sub = self._subscriber(body["offeringId"], body["customerSelector"])
            if sub is None:
                return 404, {"code": "subscriber-not-found", "message": "no"}
            session = f"ps_{len(self.requests):04d}Test"
            return 200, {
                "id": session,
                "baseUrl": self.url,
                "subscriber": sub,
                "expiration": int(time.time()) + 60 * (body.get("durationMinutes") or 60),
                "isExpired": False,
                "url": f"{self.url}/subscriber-portal/{session}",
            }
        if segments[1] != STORE_ID:
            return 403, {"code": "unauthenticated", "message": "wrong store"}
        rest = segments[2:]
        if rest == ["offerings"] and method == "GET":
            return 200, list(self.offerings.values())
        if rest == ["offerings"]:
            offering_id = f"offering_{len(self.offerings) + 1:03d}Test"
            self.offerings[offering_id] = {
                "id": offering_id,
                "storeId": STORE_ID,
                "appId": f"app_{offering_id}",
                "appName": body["appName"],
                "successRedirectUrl": body.get("successRedirectUrl"),
                "metadata": body.get("metadata") or {},
                "features": [],
                "plans": [],
            }
            return 200, self.offerings[offering_id]
        offering = self.offerings.get(rest[1])
        if offering is None:
            return 404, {"code": "offering-not-found", "message": "no"}
        if len(rest) == 2:
            return 200, offering
        if rest[2] == "plans" and method == "POST":
            plan = {
                "id": f"plan_{sum(len(o['plans']) for o in self.offerings.values()) + 1:03d}T",
                "name": body["name"],
                "status": "Active",
                "price": body.get("price") or "0",
                "currency": self.store_currency or body.get("currency"),
                "recurringType": body.get("recurringType") or "Monthly",
                "gracePeriodDays": body.get("gracePeriodDays") or 0,
                "trialDays": body.get("trialDays") or 0,
                "description": body.get("description") or "",
                "memberCount": 0,
                "optimisticActivation": bool(body.get("optimisticActivation")),
                "features": [],
                "renewable": body.get("renewable", True),
                "metadata": body.get("metadata") or {},
            }
            offering["plans"].append(plan)
            return 200, plan
        if rest[2] == "plans" and method == "PUT":
            plan = next((p for p in offering["plans"] if p["id"] == rest[3]), None)
            if plan is None:
                return 404, {"code": "plan-not-found", "message": "no"}
            # UpdateOfferingPlan: each field given replaces the plan's.
            plan.update({k: v for k, v in body.items() if v is not None and k in plan})
            return 200, plan
        if rest[2] == "subscribers" and len(rest) == 4 and method == "GET":
            sub = self._subscriber(offering["id"], rest[3])
            if sub is None:
                return 404, {"code": "subscriber-not-found", "message": "no"}
            return 200, sub
        if rest[2] == "subscribers" and rest[-1] == "suspend":
            sub = self._subscriber(offering["id"], rest[3])
            if sub is None:
                return 404, {"code": "subscriber-not-found", "message": "no"}
            sub.update(isSuspended=True, isActive=False, suspensionReason=body.get("reason"))
            return 200, sub
        return 404, {"code": "not-found", "message": "no"}

    def _plan_checkout(self, body):
        offering = self.offerings.get(body.get("offeringId"))
        plans = {p["id"]: p for p in (offering or {}).get("plans", [])}
        plan = plans.get(body.get("planId"))
        if plan is None or body.get("storeId") != STORE_ID:
            return 404, {"code": "plan-not-found", "message": "no"}
        checkout_id = f"plancheckout_{len(self.checkouts) + 1:03d}Test"
        now = int(time.time())
        checkout = {
            "id": checkout_id,
            "plan": plan,
            "baseUrl": self.url,
            "successRedirectUrl": body.get("successRedirectLink"),
            "expiration": now + 60 * (body.get("durationMinutes") or 1440),
            "redirectUrl": f"{self.url}/plan-checkout/{checkout_id}",
            "url": f"{self.url}/plan-checkout/{checkout_id}",
            "invoiceMetadata": body.get("invoiceMetadata") or {},
            "metadata": body.get("metadata") or {},
            "newSubscriber": body.get("customerSelector") is None,
            "newSubscriberMetadata": body.get("newSubscriberMetadata") or {},
            "isTrial": False,
            "created": now,
            "planStarted": False,
            "refundAmount": None,
            "creditedByInvoice": "0",
            "onPayBehavior": body.get("onPayBehavior") or "SoftMigration",
            "isExpired": False,
            "creditPurchase": None,
        }
        self.checkouts[checkout_id] = {**checkout, "offeringId": offering["id"]}
        return 200, checkout

    def checkout_invoice(self, checkout_id, email="reader@example.org"):
        """The invoice BTCPay makes for a plan checkout (SubscriptionHostedService.cs,
        CreateInvoiceForCheckout): the checkout's invoiceMetadata, plus the plan, the
        offering and the buyer's address for a new subscriber."""
        checkout = self.checkouts[checkout_id]
        metadata = {
            **checkout["invoiceMetadata"],
            "planId": checkout["plan"]["id"],
            "offeringId": checkout["offeringId"],
            "buyerEmail": email,
        }
        invoice = self._create(
            {
                "amount": checkout["plan"]["price"],
                "currency": checkout["plan"]["currency"],
                "metadata": metadata,
            }
        )
        self.checkouts[checkout_id]["invoiceId"] = invoice["id"]
        return invoice

    def _subscriber(self, offering_id, selector):
        return next(
            (
                s
                for s in self.subscribers.values()
                if s["offering"]["id"] == offering_id and s["customer"]["id"] == selector
            ),
            None,
        )

    # What BTCPay does when the supporter pays on its plan checkout --------------
    def subscribe(self, checkout_id, email="reader@example.org"):
        """The subscriber BTCPay makes once the checkout's invoice is paid."""
        checkout = self.checkouts[checkout_id]
        offering = self.offerings[checkout["offeringId"]]
        customer_id = f"cust_{len(self.subscribers) + 1:03d}Test"
        now = int(time.time())
        subscriber = {
            "created": now,
            "customer": {
                "storeId": STORE_ID,
                "id": customer_id,
                "identities": {"Email": email},
                "metadata": {},
            },
            "offering": {k: v for k, v in offering.items() if k != "plans"},
            "plan": checkout["plan"],
            "periodEnd": None,
            "trialEnd": None,
            "gracePeriodEnd": None,
            "isActive": False,
            "isSuspended": False,
            "suspensionReason": None,
            "autoRenew": True,
            "metadata": checkout["newSubscriberMetadata"],
            "processingInvoiceId": None,
            "nextPlan": checkout["plan"],
            "scheduledPlan": None,
            "scheduledPlanActivatesAt": None,
            "phase": "Expired",
        }
        self.subscribers[customer_id] = subscriber
        return subscriber

    def _create(self, body):
        number = len(self.invoices) + 1
        invoice_id = f"Inv{number:04d}TestXyZ"
        now = int(time.time())
        invoice = {
            "id": invoice_id,
            "storeId": STORE_ID,
            "amount": body["amount"],
            "paidAmount": "0",
            "currency": body["currency"],
            "type": "Standard",
            "checkoutLink": f"{self.url}/i/{invoice_id}",
            "createdTime": now,
            "expirationTime": now + 900,
            "monitoringExpiration": now + 87300,
            "status": "New",
            "additionalStatus": "None",
            "archived": False,
            "availableStatusesForManualMarking": ["Settled", "Invalid"],
            "metadata": body.get("metadata") or {},
            "checkout": body.get("checkout") or {},
        }
        self.invoices[invoice_id] = invoice
        self.methods[invoice_id] = [
            {
                "paymentMethodId": "BTC-CHAIN",
                "currency": "BTC",
                "destination": "bc1qtest",
                "paymentLink": "bitcoin:bc1qtest",
                "rate": "50000",
                "paymentMethodPaid": "0",
                "totalPaid": "0",
                "due": "0",
                "amount": "0",
                "paymentMethodFee": "0",
                "payments": [],
                "activated": True,
            }
        ]
        return invoice

    def _refund(self, invoice, body):
        number = len(self.pull_payments) + 1
        pull_payment = {
            "id": f"PP{number:03d}",
            "name": body.get("name") or "Refund",
            "description": "",
            "currency": invoice["currency"],
            "amount": body.get("customAmount") or invoice["amount"],
            "BOLT11Expiration": "30",
            "autoApproveClaims": False,
            "archived": False,
            "viewLink": f"{self.url}/pull-payments/PP{number:03d}",
        }
        self.pull_payments[pull_payment["id"]] = {
            **pull_payment,
            "payouts": [],
            "invoice": invoice["id"],
        }
        return pull_payment

    # What happens on the chain, as the tests say ------------------------
    def pay(self, invoice_id, value_btc, status="Settled", payment_id=None, received=None):
        """A payment of `value_btc` at the invoice's rate (50 000 a coin)."""
        method = self.methods[invoice_id][0]
        payments = method["payments"]
        payment_id = payment_id or f"tx{len(payments) + 1:02d}-{invoice_id}"
        payment = {
            "id": payment_id,
            "receivedDate": received or int(time.time()),
            "value": value_btc,
            "fee": "0",
            "status": status,
            "destination": "bc1qtest",
        }
        payments[:] = [p for p in payments if p["id"] != payment_id] + [payment]
        paid = sum(Decimal(p["value"]) for p in payments if p["status"] != "Invalid")
        method["paymentMethodPaid"] = method["totalPaid"] = str(paid)
        invoice = self.invoices[invoice_id]
        invoice["paidAmount"] = str(paid * Decimal(method["rate"]))
        return payment

    def set_status(self, invoice_id, status, additional="None"):
        self.invoices[invoice_id].update(status=status, additionalStatus=additional)

    def payout(self, pull_payment_id, amount, state):
        record = self.pull_payments[pull_payment_id]
        payout = {
            "id": f"PO-{pull_payment_id}-{len(record['payouts']) + 1}",
            "revision": 0,
            "pullPaymentId": pull_payment_id,
            "date": str(int(time.time())),
            "destination": "bc1qpayer",
            "originalCurrency": record["currency"],
            "originalAmount": amount,
            "payoutCurrency": "BTC",
            "payoutAmount": "0.0005",
            "payoutMethodId": "BTC-CHAIN",
            "state": state,
        }
        record["payouts"].append(payout)
        return payout


def webhook_body(event_type, delivery_id, **fields):
    """The envelope every BTCPay webhook shares (WebhookSender.cs), with the event's fields."""
    return {
        "deliveryId": delivery_id,
        "webhookId": "WhTest",
        "originalDeliveryId": delivery_id,
        "isRedelivery": False,
        "type": event_type,
        "timestamp": int(time.time()),
        "storeId": STORE_ID,
        **fields,
    }


def event(event_type, invoice, delivery_id=None, **extra):
    """A webhook body shaped as BTCPay sends it (validated against the document)."""
    delivery_id = delivery_id or f"Dlv{event_type}{invoice['id']}"
    return webhook_body(event_type, delivery_id, invoiceId=invoice["id"],
                    metadata=invoice["metadata"], **extra)


def subscriber_event(event_type, subscriber, delivery_id=None, **extra):
    """A subscription webhook body as BTCPay sends it (SubscriberWebhookProvider.cs)."""
    delivery_id = delivery_id or f"Dlv{event_type}{subscriber['customer']['id']}{time.time_ns()}"
    return webhook_body(event_type, delivery_id, subscriber=json.loads(json.dumps(subscriber)),
                    **extra)
