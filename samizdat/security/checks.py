"""System checks that keep the CSP promise: no page may name another host."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

# Directives that decide where a page may load or send things from.
FETCH_DIRECTIVES = (
    "default-src", "script-src", "style-src", "img-src", "connect-src", "font-src",
    "media-src", "object-src", "frame-src", "worker-src", "manifest-src",
)
KEYWORDS = {"'self'", "'none'", "'unsafe-inline'"}


def _host_sources(directives):
    found = []
    for name in FETCH_DIRECTIVES:
        for source in directives.get(name) or ():
            if str(source) not in KEYWORDS and not str(source).startswith("'nonce-"):
                found.append(f"{name} {source}")
    return found


@register(Tags.security)
def check_public_csp(app_configs=None, **kwargs):
    errors = []
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES") or {}
    if "'self'" not in [str(s) for s in directives.get("default-src") or ()]:
        errors.append(Error("CONTENT_SECURITY_POLICY has no default-src 'self'.",
                            id="samizdat_security.E001"))
    for source in _host_sources(directives):
        errors.append(Error(
            f"CONTENT_SECURITY_POLICY allows another host or scheme: {source}.",
            hint="Reader pages must load nothing from other hosts: no CDN, font or analytics.",
            id="samizdat_security.E002",
        ))
    if "'unsafe-inline'" in [str(s) for s in directives.get("script-src") or ()]:
        errors.append(Error("CONTENT_SECURITY_POLICY allows inline scripts on reader pages.",
                            id="samizdat_security.E003"))
    return errors


@register(Tags.security)
def check_checkout_origins(app_configs=None, **kwargs):
    errors = []
    for origin in getattr(settings, "SAMIZDAT_CHECKOUT_ORIGINS", ()):
        parts = urlsplit(origin)
        if parts.scheme != "https" or not parts.netloc or parts.path not in ("", "/"):
            errors.append(Error(
                f"SAMIZDAT_CHECKOUT_ORIGINS entry {origin!r} is not an https origin.",
                hint="Use the bare origin, e.g. https://checkout.stripe.com",
                id="samizdat_security.E004",
            ))
    return errors


@register(Tags.security, deploy=True)
def check_admin_csp_frames(app_configs=None, **kwargs):
    policy = getattr(settings, "SAMIZDAT_ADMIN_CSP", None) or {}
    ancestors = [str(s) for s in (policy.get("DIRECTIVES") or {}).get("frame-ancestors") or ()]
    if ancestors and set(ancestors) - {"'self'", "'none'"}:
        return [Error("SAMIZDAT_ADMIN_CSP lets another site frame the admin.",
                      id="samizdat_security.E005")]
    return []


@register(Tags.security)
def check_production_configuration(app_configs=None, **kwargs):
    """Unsafe production settings (samizdat/production.py). Registered without
    deploy=True: in production every management command stops on them."""
    from samizdat.production import problems

    if not getattr(settings, "SAMIZDAT_PRODUCTION", False):
        return []
    return [Error(message, hint=hint, id=check_id)
            for check_id, message, hint in problems(settings)]


@register(Tags.security, deploy=True)
def check_source_date_epoch(app_configs=None, **kwargs):
    """SOURCE_DATE_EPOCH makes every export claim one time: a mirror replaying an old
    export could no longer be told by its age."""
    import os

    from django.core.checks import Warning as CheckWarning

    if os.environ.get("SOURCE_DATE_EPOCH"):
        return [CheckWarning(
            "SOURCE_DATE_EPOCH is set: every mirror export is signed with that same time.",
            hint="Unset it in production; it is for reproducible test builds.",
            id="samizdat_mirrors.W001")]
    return []
