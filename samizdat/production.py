"""What a production install (SAMIZDAT_PRODUCTION=1) must not run with.

An outsider who knows the public demo keys can forge webhooks and read donor
addresses; a console e-mail backend writes live "manage my support" links into
the logs; the demo payment provider marks gifts paid with a click. Each rule
here is a system check (samizdat_security.E010–E017, so every management
command and `check --deploy` stop on it) and is also run when an app process
imports samizdat.wsgi or samizdat.asgi, because servers run no system checks.

Plain functions of the settings object, so tests and the checks share them.
"""

import base64
import binascii
import hashlib

# Placeholders from deploy/samizdat.env.example and the docs, and the demo's own keys.
PLACEHOLDER_MARKS = ("change-me", "changeme", "change_me", "not-for-production", "placeholder",
                     "your-secret", "example-key")
DEMO_SECRET_KEY = "samizdat-demo-key-not-for-production-use-0123456789"
TEST_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints every e-mail into the log",
    "django.core.mail.backends.filebased.EmailBackend": "writes every e-mail to a file",
    "django.core.mail.backends.locmem.EmailBackend": "keeps e-mails in memory and sends none",
    "django.core.mail.backends.dummy.EmailBackend": "sends no e-mail at all",
}
DEMO_PROVIDER = "samizdat.support.providers.demo.DemoProvider"
DEMO_PROVIDERS = (DEMO_PROVIDER, "samizdat.support.providers.btcpay_demo.DemoBTCPayProvider")
BTCPAY_SETTINGS = ("URL", "STORE_ID", "API_KEY", "WEBHOOK_SECRET")

GENERATE_SECRET = 'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'
GENERATE_DONOR_KEY = "manage.py generate_donor_key"
GENERATE_INDEX_KEY = "manage.py generate_donor_key --index"


def demo_donor_key(purpose):
    """The fixed keys the demo and the tests use (samizdat/settings.py): public."""
    digest = hashlib.sha256(f"samizdat-demo-{purpose}-not-for-production".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def is_placeholder(value):
    lowered = (value or "").strip().lower()
    return not lowered or any(mark in lowered for mark in PLACEHOLDER_MARKS)


def weak_text(value, min_length, min_distinct=16):
    """Too short, or too few different characters to be random ("x" * 32, "abab…")."""
    return len(value) < min_length or len(set(value)) < min_distinct


def weak_fernet_key(key):
    """A Fernet key is 32 bytes; random ones have ~30 distinct byte values, not a handful."""
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (binascii.Error, ValueError):
        return False  # malformed keys are reported by samizdat_support.E002
    return len(raw) == 32 and len(set(raw)) < 16


def problems(settings):
    """(check id, message, hint) for every unsafe production setting."""
    found = []
    if getattr(settings, "DEBUG", False):
        found.append(("samizdat_security.E010", "DEBUG is on in production: error pages would "
                      "show settings, SQL and donor data to anyone.", "Set DEBUG=0."))

    secret = getattr(settings, "SECRET_KEY", "") or ""
    if secret == DEMO_SECRET_KEY or is_placeholder(secret):
        found.append(("samizdat_security.E011", "SECRET_KEY is the demo key or a placeholder: "
                      "anyone can sign sessions, magic links and demo webhooks with it.",
                      f"Set SECRET_KEY to the output of: {GENERATE_SECRET}"))
    elif weak_text(secret, 50):
        found.append(("samizdat_security.E012", "SECRET_KEY is too short or not random enough "
                      "(at least 50 characters, at least 16 different ones).",
                      f"Set SECRET_KEY to the output of: {GENERATE_SECRET}"))

    demo_keys = {demo_donor_key("donor-encryption"), demo_donor_key("donor-index")}
    for number, key in enumerate(getattr(settings, "SAMIZDAT_DONOR_KEYS", None) or [], 1):
        if key in demo_keys or is_placeholder(key) or weak_fernet_key(key):
            found.append(("samizdat_security.E013", f"SAMIZDAT_DONOR_KEYS entry {number} is the "
                          "demo key, a placeholder or not random: donor addresses would be "
                          "readable by anyone who has it.",
                          f"Generate a key with `{GENERATE_DONOR_KEY}` and put it first."))
    index_key = getattr(settings, "SAMIZDAT_DONOR_INDEX_KEY", "") or ""
    if index_key and (index_key in demo_keys or is_placeholder(index_key)
                      or weak_text(index_key, 32)):
        found.append(("samizdat_security.E014", "SAMIZDAT_DONOR_INDEX_KEY is the demo key, a "
                      "placeholder, or too short or not random (at least 32 characters, at "
                      "least 16 different ones).",
                      f"Generate one with `{GENERATE_INDEX_KEY}` (set it once, before the "
                      "first contribution; it is not rotated)."))

    # bench/load_settings.py (Python, never the environment) runs the production
    # stack on loopback with the demo provider and no mail server.
    benchmark = getattr(settings, "SAMIZDAT_LOOPBACK_BENCHMARK", False) is True
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend in TEST_MAIL_BACKENDS and not benchmark:
        found.append(("samizdat_security.E015", f"EMAIL_BACKEND is {backend}, which "
                      f"{TEST_MAIL_BACKENDS[backend]}: receipts and live 'manage my support' "
                      "links would not reach readers or would sit in the logs.",
                      "Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with "
                      "EMAIL_HOST (or ANYMAIL_ESP for a hosted sender); docs/deploy.md."))

    providers = getattr(settings, "SAMIZDAT_PAYMENT_PROVIDERS", None) or {}
    for alias, config in providers.items():
        if config.get("BACKEND") in DEMO_PROVIDERS and not benchmark:
            found.append(("samizdat_security.E016", f"The demo payment provider ({alias!r}) "
                          "is configured: it marks any gift paid with a click.",
                          "Unset SAMIZDAT_DEMO_PAYMENTS; configure Stripe (STRIPE_SECRET_KEY, "
                          "STRIPE_WEBHOOK_SECRET) or offer bank transfer only."))
        options = config.get("OPTIONS") or {}
        webhook_secret = options.get("WEBHOOK_SECRET")
        if config.get("BACKEND", "").endswith(".StripeProvider"):
            webhook_secret = webhook_secret or getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
            if is_placeholder(webhook_secret) or weak_text(webhook_secret, 24, 12):
                found.append(("samizdat_security.E017", f"The {alias!r} provider has no real "
                              "webhook signing secret: payment events could be forged.",
                              "Set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret "
                              "(whsec_…) from the Stripe dashboard."))

        if config.get("BACKEND", "").endswith(".BTCPayProvider"):
            found.extend(_btcpay_problems(settings, alias, options))

    password = (getattr(settings, "DATABASES", {}).get("default") or {}).get("PASSWORD")
    if password and is_placeholder(password):
        found.append(("samizdat_security.E018", "DATABASE_URL holds the example's placeholder "
                      "password.", "Give the database user a random password and put it in "
                      "DATABASE_URL."))
    return found


def refuse_to_serve_misconfigured():
    """gunicorn and ASGI servers run no system checks: an app process without the
    donor-data keys would start and fail at the first contribution, and one with demo
    keys, a test mail backend or the demo provider would serve. Both entry points
    (samizdat.wsgi, samizdat.asgi) call this after Django is set up."""
    from django.core.exceptions import ImproperlyConfigured

    from samizdat.security.checks import check_production_configuration
    from samizdat.support.checks import check_donor_keys

    errors = check_donor_keys() + check_production_configuration()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))


def _btcpay_problems(settings, alias, options):
    """A BTCPay provider needs its server, store, API key and a real webhook secret."""
    values = {name: options.get(name) or getattr(settings, f"BTCPAY_{name}", "") or ""
              for name in BTCPAY_SETTINGS}
    missing = [f"BTCPAY_{name}" for name, value in values.items() if is_placeholder(value)]
    secret = values["WEBHOOK_SECRET"]
    if not missing and weak_text(secret, 24, 12):
        missing.append("BTCPAY_WEBHOOK_SECRET (too short or not random)")
    if not missing:
        return []
    return [("samizdat_security.E019", f"The {alias!r} provider (BTCPay Server) is enabled "
             f"without {', '.join(missing)}: checkouts would fail or payment events could "
             "be forged.", "Set all four BTCPAY_ settings (docs/payments.md, \"BTCPay "
             "Server\"), or unset BTCPAY_URL to stop offering crypto.")]
