"""django-axes hooks: the client address, and a lockout page that names no account."""

from django.conf import settings
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin.forms.auth import LoginForm


def client_ip(request):
    """X-Real-IP from our nginx when SAMIZDAT_BEHIND_PROXY, else the socket address."""
    if settings.SAMIZDAT_BEHIND_PROXY and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"].strip()
    return request.META.get("REMOTE_ADDR")


def lockout_message():
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    return _(
        "Too many failed sign-in attempts. Sign-in is paused for %(minutes)s minutes."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page again, with one message whatever the user name was."""
    return TemplateResponse(
        request,
        "users/login_locked.html",
        {
            "form": LoginForm(request=request),
            "lockout_message": lockout_message(),
            "next": reverse("wagtailadmin_home"),
            "show_password_reset": False,
        },
        status=429,
    ).render()
