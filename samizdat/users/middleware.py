"""Send staff who need a second factor to verify (or set one up) before the admin."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from .two_factor import has_second_factor, passed_admin_sign_in

# Admin paths reachable after the password step but before the second factor.
EXEMPT = ("login/", "logout/", "password_reset/", "2fa/", "jsi18n/", "sprite/")


class AdminTwoFactorMiddleware:
    """Runs after django-otp's OTPMiddleware, which sets `request.user.is_verified()`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        prefix = f"/{settings.WAGTAIL_ADMIN_PATH}/"
        path = request.path_info
        user = getattr(request, "user", None)
        if (
            path.startswith(prefix)
            and not path[len(prefix):].startswith(EXEMPT)
            and user is not None
            and user.is_authenticated
            and not passed_admin_sign_in(user)
        ):
            query = urlencode({"next": request.get_full_path()})
            if has_second_factor(user):
                return redirect(f"{reverse('samizdat_2fa_verify')}?{query}")
            return redirect(f"{reverse('samizdat_2fa_setup')}?{query}")
        return self.get_response(request)
