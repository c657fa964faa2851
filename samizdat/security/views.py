"""The privacy page: what each party can see, in plain words."""

from django.conf import settings
from django.shortcuts import render


def privacy(request):
    from samizdat.support.models import RetentionSettings

    return render(request, "security/privacy.html", {
        "checkout_origins": settings.SAMIZDAT_CHECKOUT_ORIGINS,
        # The periods staff set, so the page never promises something else.
        "retention": RetentionSettings.load(request_or_site=request),
    })
