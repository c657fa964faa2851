"""Security headers on every response, the admin included."""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.utils.functional import cached_property

from .headers import ADMIN_FEATURES, permissions_policy


def is_admin_path(path):
    return path.startswith(f"/{settings.WAGTAIL_ADMIN_PATH}/")


class SamizdatCSPMiddleware(CSPMiddleware):
    """django-csp, with the looser SAMIZDAT_ADMIN_CSP under the admin path only.

    A view that sets its own policy (django-csp's decorators) still wins.
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
