"""A one-off-only crypto rail for tests of what the support pages say about it: it starts
a checkout at a made-up invoice URL and moves no money (the BTCPay provider's own tests
cover its checkout and events)."""

from samizdat.support.providers.base import PaymentProvider


class CryptoStandIn(PaymentProvider):
    public_name = "Crypto (test)"

    def begin_checkout(self, subject, urls):
        subject.checkout_ref = f"inv_{subject.reference}"
        return f"https://pay.example.org/i/{subject.checkout_ref}"
