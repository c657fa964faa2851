"""Samizdat settings: one module, configured by environment variables.

Defaults are safe for `make demo` (SQLite, local media, demo payments);
production sets SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and
DEBUG=0 (see docs/deploy.md). Staff-editable configuration lives in the
Wagtail admin, not here.
"""

import base64
import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SAMIZDAT_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_number(name, default, kind=int):
    """A number from the environment; a wrong one stops the start with its name."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must not be negative, not {value!r}")
    return number


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Production refuses DEBUG, demo keys, placeholders, weak keys, test mail backends
# and the demo payment provider (samizdat/production.py, checks samizdat_security.E010+).
SAMIZDAT_PRODUCTION = env_bool("SAMIZDAT_PRODUCTION", False)
if SAMIZDAT_PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "samizdat_security.E010: DEBUG=1 with SAMIZDAT_PRODUCTION=1. Error pages would show "
        "settings and donor data to anyone, and the demo keys would be used. Set DEBUG=0.")
if SAMIZDAT_PRODUCTION and not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in production: set it to the output of "
        'python3 -c "import secrets; print(secrets.token_urlsafe(50))"')
# Demo and test only: a fixed key is harmless where nothing is secret.
SECRET_KEY = (os.environ.get("SECRET_KEY")
              or "samizdat-demo-key-not-for-production-use-0123456789")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public address of the primary site, used for canonical links, feeds,
# sitemaps and the mirror export.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL

# --- Database -------------------------------------------------------------
_DATABASE = dj_database_url.config(
    default=f"sqlite:///{VAR_DIR / 'samizdat.sqlite3'}",
    conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    conn_health_checks=True,
)
IS_POSTGRES = _DATABASE["ENGINE"].endswith("postgresql")
if not IS_POSTGRES:
    # The web process, the task worker and run_periodic share one file. WAL lets
    # readers go on while one writes; IMMEDIATE takes the write lock when a
    # transaction begins, so a writer waits its turn (timeout) instead of
    # failing with "database is locked" when a read transaction tries to
    # become a write.
    _DATABASE.setdefault("OPTIONS", {}).update({
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DATABASES = {"default": _DATABASE}

INSTALLED_APPS = [
    "samizdat.core",
    "samizdat.users",
    "samizdat.images",
    "samizdat.news",
    "samizdat.support",
    "samizdat.appeals",
    "samizdat.mirrors",
    "samizdat.newsletters",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.frontend_cache",
    "wagtail.contrib.redirects",
    "wagtail.locales",
    "wagtail.sites",
    "samizdat.users.wagtail_users.WagtailUsersConfig",  # Wagtail's, with our group screens
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    # Wagtail's database search uses PostgreSQL full-text search through it.
    *(["django.contrib.postgres"] if IS_POSTGRES else []),
    "samizdat.security",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Security headers outside the page cache, so cached pages get them too.
    "samizdat.security.middleware.SamizdatCSPMiddleware",
    "samizdat.security.middleware.PermissionsPolicyMiddleware",
    "samizdat.mirrors.middleware.OnionLocationMiddleware",
    "samizdat.news.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "samizdat.security.middleware.NullOriginSameSiteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "samizdat.users.middleware.AdminTwoFactorMiddleware",
    "samizdat.users.grants.CurrentActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "samizdat.urls"
WSGI_APPLICATION = "samizdat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "samizdat" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Cache ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Fails soft (samizdat/cache.py): with Redis down the site runs uncached, never 500.
_REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
# Seconds a shared cache (nginx, a CDN, the in-app page cache) may keep an
# anonymous page; publishing purges it sooner.
SAMIZDAT_PAGE_CACHE_SECONDS = int(os.environ.get("SAMIZDAT_PAGE_CACHE_SECONDS", "300"))
SAMIZDAT_PAGE_CACHE_ALIAS = "pages"
CACHES = {
    "default": (
        {"BACKEND": "samizdat.cache.FailSoftRedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": "samizdat", "OPTIONS": _REDIS_OPTIONS}
        if REDIS_URL else
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "samizdat"}
    ),
    # The in-app page cache, shared by every worker process (and by run_periodic,
    # which publishes): Redis when configured, else files under var/, never
    # per-process memory.
    SAMIZDAT_PAGE_CACHE_ALIAS: (
        {"BACKEND": "samizdat.cache.FailSoftRedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": "samizdat-pages", "TIMEOUT": SAMIZDAT_PAGE_CACHE_SECONDS,
         "OPTIONS": _REDIS_OPTIONS}
        if REDIS_URL else
        {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
         "LOCATION": os.environ.get("SAMIZDAT_PAGE_CACHE_DIR", str(VAR_DIR / "pagecache")),
         "TIMEOUT": SAMIZDAT_PAGE_CACHE_SECONDS, "OPTIONS": {"MAX_ENTRIES": 5000}}
    ),
}
# Anonymous pages: `Cache-Control: public, max-age=<BROWSER>, s-maxage=<CACHE>`;
# staff, admin, previews and cookie-setting responses get `private, no-store`.
# The in-app full-page cache (news/pagecache.py) keeps anonymous pages in the
# "pages" cache; publishing purges it and, when FRONTEND_CACHE_PURGE_URL is set,
# the frontend cache (news/signal_handlers.py).
SAMIZDAT_PAGE_CACHE = env_bool("SAMIZDAT_PAGE_CACHE", True)
SAMIZDAT_PAGE_BROWSER_SECONDS = int(os.environ.get("SAMIZDAT_PAGE_BROWSER_SECONDS", "60"))
# URL namespaces whose pages concern one reader (a contribution's thanks,
# cancel or bank-transfer page): private even without a cookie.
SAMIZDAT_PAGE_CACHE_PRIVATE_NAMESPACES = ["support"]
# Each app process's own memory in front of the shared page cache (news/hitpath.py,
# news/cachetokens.py; docs/deploy.md, "Which cache serves what").
SAMIZDAT_PAGE_CACHE_LOCAL_SECONDS = env_number("SAMIZDAT_PAGE_CACHE_LOCAL_SECONDS", 10)
SAMIZDAT_PAGE_CACHE_LOCAL_BYTES = env_number("SAMIZDAT_PAGE_CACHE_LOCAL_BYTES", 32 * 1024 * 1024)
SAMIZDAT_PAGE_CACHE_TOKEN_SECONDS = env_number("SAMIZDAT_PAGE_CACHE_TOKEN_SECONDS", 30)
SAMIZDAT_PAGE_CACHE_ACK_SECONDS = env_number("SAMIZDAT_PAGE_CACHE_ACK_SECONDS", 2.0, float)

# --- Languages ------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "samizdat" / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_STORAGE",
            "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# --- Background tasks -----------------------------------------------------
# One TASKS setting for our jobs and Wagtail's own; `manage.py db_worker`
# runs them. Tests switch to the immediate backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Our db_worker (news/worker.py) beats every lease/6 s; a task RUNNING longer than the
# lease under a worker that stopped beating is taken back: queued again if it is listed
# here (task path -> keyword arguments that, when true, make a second run unsafe),
# marked failed otherwise. Keep the lease above the longest database outage you expect.
SAMIZDAT_WORKER_LEASE_SECONDS = float(os.environ.get("SAMIZDAT_WORKER_LEASE_SECONDS", "60"))
SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES = {
    # Claims the payment's ReceiptDelivery first: a second run sends nothing while the
    # claim holds, send_pending_receipts takes over after it. A copy a supporter asked
    # for (again=True) has no claim, so it is not run twice.
    "samizdat.support.tasks.send_receipt": ("again",),
    # Locks its folder and writes what changed; a second run redoes the same export.
    "samizdat.mirrors.tasks.export_and_publish": (),
    # Claims each Delivery before sending it: a second run sends only what is left.
    "samizdat.newsletters.tasks.send_batch": (),
    # Wagtail's own: recomputing an index or focal point, purging or deleting again.
    "wagtail.tasks.update_reference_index_task": (),
    "wagtail.tasks.delete_file_from_storage_task": (),
    "wagtail.images.tasks.set_image_focal_point_task": (),
    "wagtail.contrib.frontend_cache.tasks.purge_urls_from_cache_task": (),
}

# Messages ("Your change was sent") live in the session, never in a cookie of
# their own that a shared computer or a proxy log would keep.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- E-mail ---------------------------------------------------------------
# ANYMAIL_ESP=postmark|mailgun|sendgrid|brevo|… sends through that hosted sender
# (django-anymail), its key in ANYMAIL_API_KEY; else EMAIL_BACKEND (SMTP settings below).
_ESP = os.environ.get("ANYMAIL_ESP", "").strip().lower()
EMAIL_BACKEND = (
    f"anymail.backends.{_ESP}.EmailBackend" if _ESP else
    os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"))
if _ESP:
    ANYMAIL = {
        {"postmark": "POSTMARK_SERVER_TOKEN"}.get(_ESP, f"{_ESP.upper()}_API_KEY"):
            os.environ.get("ANYMAIL_API_KEY", ""),
        **({f"{_ESP.upper()}_SENDER_DOMAIN": os.environ["ANYMAIL_SENDER_DOMAIN"]}
           if os.environ.get("ANYMAIL_SENDER_DOMAIN") else {}),
    }
    if os.environ.get("ANYMAIL_WEBHOOK_SECRET"):  # "user:password" in the webhook URL
        ANYMAIL["WEBHOOK_SECRET"] = os.environ["ANYMAIL_WEBHOOK_SECRET"]
    if os.environ.get("ANYMAIL_WEBHOOK_SIGNING_KEY"):  # Mailgun's webhook signing key
        ANYMAIL[f"{_ESP.upper()}_WEBHOOK_SIGNING_KEY"] = os.environ["ANYMAIL_WEBHOOK_SIGNING_KEY"]
# Newsletters on their own connection (docs/newsletters.md): a bulk send never holds up
# a receipt. Unset: EMAIL_BACKEND and its EMAIL_* settings.
NEWSLETTERS_EMAIL_BACKEND = os.environ.get("NEWSLETTERS_EMAIL_BACKEND", "") or None
NEWSLETTERS_EMAIL_OPTIONS = {
    key: cast(os.environ[f"NEWSLETTERS_EMAIL_{key.upper()}"])
    for key, cast in (("host", str), ("port", int), ("username", str), ("password", str),
                      ("use_tls", lambda v: v.lower() in ("1", "true", "yes")))
    if os.environ.get(f"NEWSLETTERS_EMAIL_{key.upper()}")
}
NEWSLETTERS_SEND_RATE = float(os.environ.get("NEWSLETTERS_SEND_RATE", "0"))  # messages/s
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a mail server that does not answer counts as failed; well below
# SAMIZDAT_RECEIPT_LEASE_SECONDS, so a live worker never loses its claim on a receipt.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Wagtail --------------------------------------------------------------
WAGTAIL_SITE_NAME = "Samizdat"
WAGTAILIMAGES_IMAGE_MODEL = "images.CustomImage"
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
# Refuse decompression bombs long before Pillow's own limit.
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_EXTENSIONS = ["pdf", "txt", "csv", "odt", "docx"]
# The admin calls no one: no update check, no Gravatar.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILEMBEDS_FINDERS = []
WAGTAIL_ADMIN_PATH = os.environ.get("SAMIZDAT_ADMIN_PATH", "admin").strip("/")
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": "wagtail.search.backends.database",
        "AUTO_UPDATE": True,
        # English stemming for Latin words, Russian for Cyrillic (news migration 0003).
        **({"SEARCH_CONFIG": "samizdat"} if IS_POSTGRES else {}),
    }
}
WAGTAILFRONTENDCACHE = {
    "http": {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": os.environ["FRONTEND_CACHE_PURGE_URL"],
    },
} if os.environ.get("FRONTEND_CACHE_PURGE_URL") else {}

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SECURE_CONTENT_TYPE_NOSNIFF = True
FORMS_URLFIELD_ASSUME_HTTPS = True
SECURE_REFERRER_POLICY = "no-referrer"
X_FRAME_OPTIONS = "DENY"
if env_bool("SAMIZDAT_HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Readers in a censoring country are the ones an SSL-stripping network
    # attacks on first visit; preloading closes that gap. Opt out with 0.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No e-mail address reaches a log line or a logged traceback (samizdat/redact.py).
    "filters": {"redact": {"()": "samizdat.redact.RedactAddresses"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Periodic jobs (run by `manage.py run_periodic` or cron) -------------------
# (management command, interval in seconds), every app's.
SAMIZDAT_PERIODIC_JOBS = [
    ("publish_scheduled", 60),
    # Finished task rows (arguments, tracebacks) and expired sessions, daily.
    ("prune_records", 86400),
    # Recompute every gift and plan from the ledger hourly; mismatches are logged.
    ("check_ledger", 3600),
    # Provider events waiting for their gift or plan, where it now exists (docs/payments.md).
    ("apply_waiting_events", 300),
    # The ledger compared with each provider's own records, daily (docs/payments.md).
    ("reconcile_provider", 86400),
    # Receipts a worker claimed but never sent (SAMIZDAT_RECEIPT_LEASE_SECONDS below).
    ("send_pending_receipts", 300),
    # Retention (periods are edited in the admin: Settings → Donor data retention):
    # abandoned checkouts and lapsed donors' addresses are removed daily.
    ("apply_retention", 86400),
    # Opt-in e-mail reminders ("remind me later"): send the due ones, then delete them.
    ("send_appeal_reminders", 3600),
    # Newsletter sign-ups nobody confirmed within seven days are erased.
    ("purge_newsletter_requests", 3600),
    # BTCPay plans: each period's invoice e-mailed, past due after the grace, then ended.
    ("send_btcpay_reminders", 3600),
    # Newsletter digests due now, and issues staff scheduled (docs/newsletters.md).
    ("send_newsletters", 60),
    # Newly published articles and sent issues to connected Telegram channels.
    ("post_to_telegram", 60),
]
SAMIZDAT_TASK_ROWS_DAYS = int(os.environ.get("SAMIZDAT_TASK_ROWS_DAYS", "7"))

# --- Reader contributions (support) ------------------------------------------
# Payment providers by alias, like CACHES: the alias is the webhook path
# (/support/webhooks/<alias>/) and what is stored on each contribution.
# Staff choose which configured ones to offer (ContributionSettings).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # an emulator; unset = Stripe itself
# BTCPay Server (crypto, the newsroom's own server; docs/payments.md): offered when
# BTCPAY_URL is set; production refuses it without all four (samizdat_security.E019).
BTCPAY_URL = os.environ.get("BTCPAY_URL", "")
BTCPAY_STORE_ID = os.environ.get("BTCPAY_STORE_ID", "")
BTCPAY_API_KEY = os.environ.get("BTCPAY_API_KEY", "")
BTCPAY_WEBHOOK_SECRET = os.environ.get("BTCPAY_WEBHOOK_SECRET", "")
# Recurring gifts as BTCPay subscriptions (BTCPay Server 2.3+): "auto" uses them when
# the server answers its Subscriptions API, "on" always, "off" never (reminder plans).
BTCPAY_SUBSCRIPTIONS = os.environ.get("BTCPAY_SUBSCRIPTIONS", "auto")
# The demo provider is for `make demo` and tests; production refuses it (E016).
_DEMO_PAYMENTS = env_bool(
    "SAMIZDAT_DEMO_PAYMENTS", not STRIPE_SECRET_KEY and not SAMIZDAT_PRODUCTION)
SAMIZDAT_PAYMENT_PROVIDERS = {
    **({"stripe": {"BACKEND": "samizdat.support.providers.stripe.StripeProvider"}}
       if STRIPE_SECRET_KEY else {}),
    **({"btcpay": {"BACKEND": "samizdat.support.providers.btcpay.BTCPayProvider"}}
       if BTCPAY_URL else {}),
    **({"demo": {"BACKEND": "samizdat.support.providers.demo.DemoProvider",
                 "OPTIONS": {"MAX_FAILED_RENEWALS": 3}},
        # An offline stand-in for a BTCPay Server, clearly marked, for `make demo`.
        "demo_crypto": {"BACKEND": "samizdat.support.providers.btcpay_demo.DemoBTCPayProvider"}}
       if _DEMO_PAYMENTS else {}),
    "bank_transfer": {
        "BACKEND": "samizdat.support.providers.bank_transfer.BankTransferProvider",
    },
}
# A provider's API call gets SAMIZDAT_PROVIDER_RETRIES retries on a network error or
# 5xx, under one idempotency key, and SAMIZDAT_PROVIDER_TIMEOUT seconds in all, retries
# included (support/providers/deadline_http.py); all calls of one web request together
# stop after SAMIZDAT_PROVIDER_REQUEST_SECONDS, which must stay below gunicorn's
# timeout (docs/payments.md, "When the provider fails").
SAMIZDAT_PROVIDER_TIMEOUT = float(os.environ.get("SAMIZDAT_PROVIDER_TIMEOUT", "10"))
SAMIZDAT_PROVIDER_REQUEST_SECONDS = float(
    os.environ.get("SAMIZDAT_PROVIDER_REQUEST_SECONDS", "20"))
# At most this many provider calls wait at once in one app process (0: no limit); the
# donor beyond them gets the "slow" page, so webhooks and readers keep free workers.
SAMIZDAT_PROVIDER_CONCURRENCY = int(os.environ.get("SAMIZDAT_PROVIDER_CONCURRENCY", "2"))
SAMIZDAT_PROVIDER_RETRIES = int(os.environ.get("SAMIZDAT_PROVIDER_RETRIES", "1"))
# Checkout starts allowed per (count, seconds), per client address (kept only
# as a keyed hash in the cache), per e-mail and for the whole site; the
# "under attack" switch in the admin selects the tighter set.
SAMIZDAT_CHECKOUT_LIMITS = {
    "client": (20, 600), "email": (5, 3600), "global": (300, 600),
}
SAMIZDAT_CHECKOUT_LIMITS_UNDER_ATTACK = {
    "client": (6, 600), "email": (2, 3600), "global": (60, 600),
}
# Trust X-Forwarded-For from this many proxies in front of the app (0 = none).
SAMIZDAT_TRUSTED_PROXIES = int(os.environ.get("SAMIZDAT_TRUSTED_PROXIES", "0"))
# Receipts and notices to supporters (support/emails.py). They go through
# EMAIL_BACKEND: SMTP settings above, or a hosted sender through django-anymail
# (ANYMAIL_ESP above, docs/payments.md). Discreet mode is
# switched on in the admin (Settings → Supporter e-mails); its sender address
# may differ so that not even the domain names the outlet.
SUPPORT_FROM_EMAIL = os.environ.get("SUPPORT_FROM_EMAIL", "")  # "" = DEFAULT_FROM_EMAIL
SUPPORT_DISCREET_FROM_EMAIL = os.environ.get("SUPPORT_DISCREET_FROM_EMAIL", "")
SUPPORT_RECEIPT_LINK_DAYS = int(os.environ.get("SUPPORT_RECEIPT_LINK_DAYS", "30"))
# A receipt a worker claimed but never sent (it died) is queued again by
# send_pending_receipts after this many seconds (docs/payments.md).
SAMIZDAT_RECEIPT_LEASE_SECONDS = int(os.environ.get("SAMIZDAT_RECEIPT_LEASE_SECONDS", "600"))
SUPPORT_FUNDING_CACHE_SECONDS = int(os.environ.get("SUPPORT_FUNDING_CACHE_SECONDS", "300"))
# Donor addresses are encrypted at rest (core/crypto.py): Fernet keys,
# comma-separated, the first encrypts and all decrypt (`manage.py
# rotate_donor_key` re-encrypts under the first); a separate key for the HMAC
# blind index used to look addresses up (not rotated). Generate both with
# `manage.py generate_donor_key`. Without them, the demo and tests use fixed
# keys; production (SAMIZDAT_PRODUCTION=1, DEBUG off) refuses to start
# (system check samizdat_support.E001).
SAMIZDAT_DONOR_KEYS_REQUIRED = SAMIZDAT_PRODUCTION


def _donor_dev_key(purpose):
    """Fixed and public: for the demo and tests only, never when keys are required."""
    if SAMIZDAT_DONOR_KEYS_REQUIRED:
        return ""
    digest = hashlib.sha256(f"samizdat-demo-{purpose}-not-for-production".encode())
    return base64.urlsafe_b64encode(digest.digest()).decode()


SAMIZDAT_DONOR_KEYS = env_list("SAMIZDAT_DONOR_KEYS") or [
    key for key in [_donor_dev_key("donor-encryption")] if key]
SAMIZDAT_DONOR_INDEX_KEY = (os.environ.get("SAMIZDAT_DONOR_INDEX_KEY", "").strip()
                            or _donor_dev_key("donor-index"))
# Pending gifts of methods whose money may come weeks later (bank transfer) are kept
# this many days, not the admin's "abandoned checkouts" period (docs/privacy.md).
SAMIZDAT_DELAYED_PENDING_DAYS = int(os.environ.get("SAMIZDAT_DELAYED_PENDING_DAYS", "60"))

# --- Appeals -----------------------------------------------------------------
# Anonymous appeal events (view, close, remind, click, conversion) accepted per
# appeal, variant and kind per minute; a flood beyond it is refused (docs/appeals.md).
APPEALS_EVENTS_PER_MINUTE = int(os.environ.get("APPEALS_EVENTS_PER_MINUTE", "600"))

# --- Mirrors -----------------------------------------------------------------
# Static signed copies of the site (docs/mirrors.md). The signing key is a
# minisign secret key (manage.py mirror_keygen): its text in the environment,
# or a file path.
SAMIZDAT_MIRROR_SIGNING_KEY = os.environ.get("SAMIZDAT_MIRROR_SIGNING_KEY", "")
SAMIZDAT_MIRROR_SIGNING_KEY_FILE = os.environ.get(
    "SAMIZDAT_MIRROR_SIGNING_KEY_FILE", str(VAR_DIR / "mirror-signing.key")
)
# Old keys' signed hand-over statements, published with every export.
SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR = Path(
    os.environ.get("SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR", VAR_DIR / "mirror-key-rotations")
)
# Where contributions are taken (a server is needed to take money).
SAMIZDAT_DONATION_ORIGIN = os.environ.get("SAMIZDAT_DONATION_ORIGIN", SITE_URL).rstrip("/")
SAMIZDAT_DONATION_ONION_ORIGIN = os.environ.get("SAMIZDAT_DONATION_ONION_ORIGIN", "").rstrip("/")
# The onion copy (http://<56 chars>.onion); else the oldest active onion Mirror.
SAMIZDAT_ONION_URL = os.environ.get("SAMIZDAT_ONION_URL", "").rstrip("/")
SAMIZDAT_MIRRORS_VALID_DAYS = int(os.environ.get("SAMIZDAT_MIRRORS_VALID_DAYS", "30"))
# check_mirrors calls a mirror STALE when its export was signed longer ago (0: no limit).
SAMIZDAT_MIRROR_MAX_AGE_DAYS = int(os.environ.get("SAMIZDAT_MIRROR_MAX_AGE_DAYS", "7"))
# The export that check_mirrors compares against and publishing updates.
SAMIZDAT_EXPORT_DIR = Path(os.environ.get("SAMIZDAT_EXPORT_DIR", VAR_DIR / "export"))
# Re-export (incrementally) after publishing, as a debounced background task.
SAMIZDAT_EXPORT_ON_PUBLISH = env_bool("SAMIZDAT_EXPORT_ON_PUBLISH", False)
SAMIZDAT_EXPORT_DEBOUNCE_SECONDS = int(os.environ.get("SAMIZDAT_EXPORT_DEBOUNCE_SECONDS", "60"))
# Where the export is copied after each run: folders and s3://bucket/prefix URLs.
SAMIZDAT_EXPORT_PUBLISH_TARGETS = env_list("SAMIZDAT_EXPORT_PUBLISH_TARGETS")
SAMIZDAT_EXPORT_S3_ENDPOINT_URL = os.environ.get("SAMIZDAT_EXPORT_S3_ENDPOINT_URL", "")

# --- Security and production --------------------------------------------------
# Headers, staff sign-in and production knobs; docs/deploy.md and docs/privacy.md
# explain each.

# Content-Security-Policy (django-csp 4): own origin only on reader pages; the
# admin gets SAMIZDAT_ADMIN_CSP (inline styles/scripts, still no other host).
# Checkout origins are the only other hosts named, and only in form-action.
SAMIZDAT_CHECKOUT_ORIGINS = env_list("SAMIZDAT_CHECKOUT_ORIGINS", "https://checkout.stripe.com")
# The checkout origin must be in form-action: our forms post to ourselves, but
# Chromium applies form-action to the redirect that follows a submit. It is a
# navigation target, never fetched by the page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *SAMIZDAT_CHECKOUT_ORIGINS],
        "frame-ancestors": ["'none'"],
    },
}
# Wagtail 7.4's admin writes `style="…"` attributes and a few inline scripts
# (measured in tests/security/test_admin_csp_browser.py), and shows image
# previews from `blob:` URLs while uploading. It still loads nothing from
# another host and cannot be framed by another site.
SAMIZDAT_ADMIN_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}
SAMIZDAT_PERMISSIONS_POLICY = None  # None: deny every feature in security/headers.py

# Staff sessions end when the browser closes (and after SESSION_COOKIE_AGE).
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)

# Two-factor sign-in (django-otp: TOTP + single-use recovery codes).
# Mandatory for superusers, members of these groups and holders of these
# permissions; SAMIZDAT_2FA_REQUIRED_FOR_ALL=1 makes it mandatory for all staff.
SAMIZDAT_2FA_REQUIRED_FOR_ALL = env_bool("SAMIZDAT_2FA_REQUIRED_FOR_ALL", False)
SAMIZDAT_2FA_REQUIRED_GROUPS = env_list("SAMIZDAT_2FA_REQUIRED_GROUPS", "Fundraising")
# Whoever can change users or groups needs a second factor too (samizdat/users/grants.py).
SAMIZDAT_2FA_REQUIRED_PERMISSIONS = env_list(
    "SAMIZDAT_2FA_REQUIRED_PERMISSIONS",
    "users.add_user,users.change_user,auth.add_group,auth.change_group")
SAMIZDAT_2FA_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = os.environ.get("SAMIZDAT_2FA_ISSUER", WAGTAIL_SITE_NAME)
# Passkeys (django-otp-webauthn) as a second factor: a security key, or a phone's or
# computer's screen lock, bound to the site's host name. Browsers offer them only on
# https or at http://localhost (an IP address cannot be a passkey's host): on an http
# SITE_URL, like the demo's, they work when the admin is opened at localhost.
_SITE = urlsplit(SITE_URL)
if _SITE.scheme == "https":
    _PASSKEY_HOST, _PASSKEY_ORIGIN = _SITE.hostname, f"https://{_SITE.netloc}"
else:
    _PASSKEY_HOST = "localhost"
    _PASSKEY_ORIGIN = f"http://localhost:{_SITE.port}" if _SITE.port else "http://localhost"
OTP_WEBAUTHN_RP_ID = os.environ.get("SAMIZDAT_WEBAUTHN_RP_ID", _PASSKEY_HOST)
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("SAMIZDAT_WEBAUTHN_ORIGINS", _PASSKEY_ORIGIN)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # the password stays the first factor

# Login throttling (django-axes): the same lockout for known and unknown
# user names, per user name and per client address, lifted after a cool-off.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("SAMIZDAT_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("SAMIZDAT_LOGIN_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # keep failures only, not every staff sign-in
AXES_LOCKOUT_CALLABLE = "samizdat.users.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "samizdat.users.throttling.client_ip"
AXES_VERBOSE = False
# Behind nginx (deploy/), the client address comes from X-Real-IP; only trust
# it when the app listens on loopback behind that proxy.
SAMIZDAT_BEHIND_PROXY = env_bool("SAMIZDAT_BEHIND_PROXY", False)
# Purge exactly the URLs the news app lists: they already carry their language
# prefix, and Wagtail's per-language rewriting would purge /en/… paths that
# do not exist (English is unprefixed).
WAGTAILFRONTENDCACHE_LANGUAGES = []
