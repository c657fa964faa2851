"""The signed link in a failed-renewal e-mail to the page where a supporter fixes it.

Signed, not stored, like a receipt link (support/receipts.py): it names one plan and
expires; it opens a page that changes nothing by itself, and erasure ends it.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from .emails import absolute_url

SALT = "samizdat.support.payment-update"


def link_days():
    return int(getattr(settings, "SUPPORT_PAYMENT_LINK_DAYS", 30))


def token_for(pledge):
    return signing.dumps(pledge.pk, salt=SALT, compress=True)


def pledge_from_token(token):
    """The plan a link names, or None if forged, expired, or its supporter's data is gone."""
    from .models import Pledge

    try:
        pk = signing.loads(token, salt=SALT, max_age=link_days() * 86400)
    except signing.BadSignature:
        return None
    pledge = Pledge.objects.select_related("supporter").filter(pk=pk).first()
    supporter = pledge.supporter if pledge is not None else None
    if supporter is None or supporter.forgotten_at or not supporter.email_index:
        return None
    return pledge


def path_for(pledge):
    return reverse("support:payment_update", args=[token_for(pledge)])


def url_for(pledge, language):
    with translation.override(language):
        return absolute_url(path_for(pledge))
