"""Security headers on every response, the admin included."""

from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.functional import cached_property

from .headers import ADMIN_FEATURES, permissions_policy


def is_admin_path(path):
    return path.startswith(f"/{settings.WAGTAIL_ADMIN_PATH}/")


# Built policy headers, per process: {(report only, default policy): header}. django-csp
# builds the header from settings on every response, a good part of a page cache hit's
# cost (news/hitpath.py). A policy with nothing of the request's in it (no view's own
# config, update or replace, no nonce) depends only on the settings below, so it is
# built once; any of them changed (tests) empties the cache.
_built = {}
POLICY_SETTINGS = frozenset({"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY",
                             "SAMIZDAT_ADMIN_CSP", "WAGTAIL_ADMIN_PATH"})


def _forget_policies(setting=None, **kwargs):
    if setting in POLICY_SETTINGS:
        _built.clear()


setting_changed.connect(_forget_policies, dispatch_uid="samizdat-csp-built-policies")


def _build_policy(parts, report_only):
    """django-csp's build_policy, once per process for a policy from settings alone."""
    admin = getattr(settings, "SAMIZDAT_ADMIN_CSP", None)
    from_settings = parts.config is None or (admin and parts.config is admin["DIRECTIVES"])
    if not from_settings or any(v is not None for v in (parts.update, parts.replace,
                                                        parts.nonce)):
        return build_policy(**asdict(parts), report_only=report_only)
    key = (report_only, parts.config is None)
    if key not in _built:
        _built[key] = build_policy(**asdict(parts), report_only=report_only)
    return _built[key]


class SamizdatCSPMiddleware(CSPMiddleware):
    """django-csp, with the looser SAMIZDAT_ADMIN_CSP under the admin path only.

    A view that sets its own policy (django-csp's decorators) still wins. The headers
    are django-csp's own; a policy that depends on settings alone is built once
    (`_build_policy`).
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        admin_policy = getattr(settings, "SAMIZDAT_ADMIN_CSP", None)
        if not report_only and parts.config is None and admin_policy and is_admin_path(
            request.path_info
        ):
            parts = PolicyParts(admin_policy["DIRECTIVES"], parts.update, parts.replace,
                                parts.nonce)
        return parts

    def process_response(self, request, response):
        """django-csp 4.0's, with the policy built by `_build_policy`."""
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for header, report_only, exempt, setting in (
            (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            parts = self.get_policy_parts(request=request, response=response,
                                          report_only=report_only)
            csp = _build_policy(parts, report_only)
            if csp:
                prefixes = (getattr(settings, setting, None) or {}).get(
                    "EXCLUDE_URL_PREFIXES", None) or ()
                if (header not in response and getattr(response, exempt, False) is False
                        and not request.path_info.startswith(tuple(prefixes))):
                    response[header] = csp
        # As django-csp: a nonce asked for after the header is written is an error.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy (SAMIZDAT_PERMISSIONS_POLICY) unless a view set one; under
    the admin path passkeys are allowed for our own origin."""

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def value(self):
        configured = getattr(settings, "SAMIZDAT_PERMISSIONS_POLICY", None)
        return configured if configured is not None else permissions_policy()

    @cached_property
    def admin_value(self):
        configured = getattr(settings, "SAMIZDAT_PERMISSIONS_POLICY", None)
        if configured is not None:
            return configured
        return permissions_policy(allow_self=ADMIN_FEATURES)

    def __call__(self, request):
        response = self.get_response(request)
        value = self.admin_value if is_admin_path(request.path_info) else self.value
        if value and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = value
        return response


class NullOriginSameSiteMiddleware:
    """Let same-origin form posts pass Django's CSRF origin check under no-referrer.

    With `Referrer-Policy: no-referrer` browsers send `Origin: null` on form
    posts (Fetch standard), which Django's CsrfViewMiddleware rejects. When the
    browser's own `Sec-Fetch-Site: same-origin` (a header pages cannot forge)
    vouches for the request, the null origin is replaced by ours; cross-site
    posts still fail, and the CSRF token is still checked. Must come before
    CsrfViewMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if meta.get("HTTP_ORIGIN") == "null" and meta.get("HTTP_SEC_FETCH_SITE") == "same-origin":
            meta["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return self.get_response(request)
