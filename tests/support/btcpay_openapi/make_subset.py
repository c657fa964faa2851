"""Rebuild greenfield-subset.json and subscriptions-subset.json from a BTCPay Server
checkout (see README.md).

    python tests/support/btcpay_openapi/make_subset.py /path/to/btcpayserver

Merges the swagger templates, keeps the operations and webhook schemas Samizdat
uses, and every schema they refer to, unchanged.
"""

import json
import sys
from pathlib import Path

TEMPLATES = ["", ".invoices", ".pull-payments", ".webhooks", ".subscriptions"]
OPERATIONS = {
    "/api/v1/stores/{storeId}/invoices": ["get", "post"],
    "/api/v1/invoices/{invoiceId}": ["get"],
    "/api/v1/invoices/{invoiceId}/payment-methods": ["get"],
    "/api/v1/invoices/{invoiceId}/refund": ["post"],
    "/api/v1/pull-payments/{pullPaymentId}/payouts": ["get"],
}
WEBHOOKS = [
    "InvoiceSettled",
    "InvoicePaymentSettled",
    "InvoiceProcessing",
    "InvoiceExpired",
    "InvoiceInvalid",
    "PayoutCreated",
    "PayoutApproved",
    "PayoutUpdated",
]


# BTCPay's Subscriptions API (offerings, plans, subscribers, plan checkouts, portal
# sessions) and its webhooks: the whole of swagger.template.subscriptions.json.
SUBSCRIPTION_OPERATIONS = {
    "/api/v1/stores/{storeId}/offerings": ["get", "post"],
    "/api/v1/stores/{storeId}/offerings/{offeringId}": ["get", "put"],
    "/api/v1/stores/{storeId}/offerings/{offeringId}/plans": ["post"],
    "/api/v1/stores/{storeId}/offerings/{offeringId}/plans/{planId}": ["get", "put"],
    "/api/v1/stores/{storeId}/offerings/{offeringId}/subscribers/{customerSelector}": [
        "get",
        "delete",
    ],
    "/api/v1/stores/{storeId}/offerings/{offeringId}/subscribers/{customerSelector}"
    "/credits/{currency}": ["get", "post"],
    "/api/v1/stores/{storeId}/offerings/{offeringId}/subscribers/{customerSelector}/suspend": [
        "post"
    ],
    "/api/v1/stores/{storeId}/offerings/{offeringId}/subscribers/{customerSelector}/unsuspend": [
        "post"
    ],
    "/api/v1/stores/{storeId}/offerings/{offeringId}/subscribers/{customerSelector}/dates": ["put"],
    "/api/v1/plan-checkout": ["post"],
    "/api/v1/plan-checkout/{checkoutId}": ["get", "post"],
    "/api/v1/subscriber-portal": ["post"],
    "/api/v1/subscriber-portal/{portalSessionId}": ["get"],
}
SUBSCRIPTION_WEBHOOKS = [
    "SubscriberCreated",
    "SubscriberCredited",
    "SubscriberCharged",
    "SubscriberActivated",
    "SubscriberPhaseChanged",
    "SubscriberDisabled",
    "PaymentReminder",
    "PlanStarted",
    "SubscriberNeedUpgrade",
]


def refs(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def main(repo):
    folder = Path(repo) / "BTCPayServer/wwwroot/swagger/v1"
    merged = {"paths": {}, "components": {}, "x-webhooks": {}}
    for name in TEMPLATES:
        doc = json.loads((folder / f"swagger.template{name}.json").read_text(encoding="utf-8-sig"))
        merged.setdefault("openapi", doc.get("openapi"))
        merged.setdefault("info", doc.get("info"))
        merged["paths"].update(doc.get("paths", {}))
        merged["x-webhooks"].update(doc.get("x-webhooks", {}))
        for kind, items in doc.get("components", {}).items():
            merged["components"].setdefault(kind, {}).update(items)
    write(merged, OPERATIONS, WEBHOOKS, "greenfield-subset.json")
    write(merged, SUBSCRIPTION_OPERATIONS, SUBSCRIPTION_WEBHOOKS, "subscriptions-subset.json")


def write(merged, operations, webhook_names, filename):
    paths = {
        path: {method: merged["paths"][path][method] for method in methods}
        for path, methods in operations.items()
    }
    for path, methods in paths.items():
        shared = merged["paths"][path].get("parameters")
        if shared:
            methods["parameters"] = shared
    webhooks = {name: merged["x-webhooks"][name] for name in webhook_names}
    wanted, todo = {}, list(refs(paths)) + list(refs(webhooks))
    while todo:
        ref = todo.pop()
        # A name may hold a slash ("#/components/parameters/Subscriptions/Currency").
        _hash, _components, kind, name = ref.split("/", 3)
        if name in wanted.get(kind, {}):
            continue
        item = merged["components"][kind][name]
        wanted.setdefault(kind, {})[name] = item
        todo += list(refs(item))
    wanted["securitySchemes"] = merged["components"]["securitySchemes"]
    subset = {
        "openapi": merged["openapi"],
        "info": merged["info"],
        "paths": paths,
        "x-webhooks": webhooks,
        "components": wanted,
    }
    out = Path(__file__).with_name(filename)
    out.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
