"""The privacy page: what each party can see, in plain words."""

from django.conf import settings
from django.shortcuts import render


def privacy(request):
    return render(request, "security/privacy.html", {
        "checkout_origins": settings.SAMIZDAT_CHECKOUT_ORIGINS,
    })
