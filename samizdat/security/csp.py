"""Content-Security-Policy configurations for django-csp 4.

Two policies: the strict one for every public page (no host sources at all,
so a page can only ever talk to its own origin) and a looser one for the
Wagtail admin, which still needs inline styles and scripts. Plain data, so
settings.py can build them without importing Django.
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE


def public_policy(form_action_origins=()):
    """The reader-facing policy.

    `form_action_origins` are the payment providers' checkout origins: our
    forms post to ourselves, but Chromium applies form-action to the redirect
    that follows a submit, so the checkout origin the server redirects to must
    be listed. They are navigation targets, never fetched by the page.
    """
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "img-src": [SELF],
            "style-src": [SELF],
            "script-src": [SELF],
            "connect-src": [SELF],
            "font-src": [SELF],
            "object-src": [NONE],
            "frame-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF, *form_action_origins],
            "frame-ancestors": [NONE],
        },
    }


def admin_policy():
    """The Wagtail admin's policy: same origin only, inline styles/scripts allowed.

    Wagtail 7.4's admin writes `style="…"` attributes and a few inline
    scripts (measured in tests/security/test_admin_csp_browser.py), and shows
    image previews from `blob:` URLs while uploading. It still loads nothing
    from another host and cannot be framed.
    """
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "img-src": [SELF, "data:", "blob:"],
            "style-src": [SELF, UNSAFE_INLINE],
            "script-src": [SELF, UNSAFE_INLINE],
            "connect-src": [SELF],
            "font-src": [SELF],
            "object-src": [NONE],
            "frame-src": [SELF],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [SELF],
        },
    }
