from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from wagtail import hooks

from . import views


@hooks.register("register_admin_urls")
def two_factor_urls():
    return [
        path("2fa/", views.manage, name="samizdat_2fa"),
        path("2fa/verify/", views.verify, name="samizdat_2fa_verify"),
        path("2fa/setup/", views.setup, name="samizdat_2fa_setup"),
        path("2fa/recovery-codes/", views.new_recovery_codes, name="samizdat_2fa_codes"),
        path("2fa/passkeys/added/", views.passkey_added, name="samizdat_2fa_passkey_added"),
        path("2fa/passkeys/<int:pk>/remove/", views.remove_passkey,
             name="samizdat_2fa_passkey_remove"),
        # django-otp-webauthn's JSON API the browser talks to (registration refuses a
        # session that has a second factor and has not passed it).
        path("2fa/passkeys/api/", include("django_otp_webauthn.urls",
                                          namespace="otp_webauthn")),
    ]


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    return {
        "url": reverse("samizdat_2fa"),
        "label": _("Two-factor sign-in"),
        "help_text": _("Authenticator app, passkeys and recovery codes."),
    }


@hooks.register("register_log_actions")
def donor_access_log_actions(actions):
    from django.utils.translation import gettext_lazy

    from .grants import GRANTED

    actions.register_action(GRANTED, gettext_lazy("Access to supporters' data granted"),
                            gettext_lazy("Access to supporters' data granted"))
