"""Keep the cached onion address fresh and queue exports after publishing."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .mirrorlist import forget_onion_url
from .models import Mirror


@receiver(post_save, sender=Mirror)
@receiver(post_delete, sender=Mirror)
def mirror_changed(sender, **kwargs):
    forget_onion_url()


def _content_changed(sender, **kwargs):
    from django.db import transaction

    from .tasks import request_export

    transaction.on_commit(request_export)


def connect_publishing():
    from wagtail.signals import page_published, page_unpublished

    page_published.connect(_content_changed, dispatch_uid="mirrors-export-on-publish")
    page_unpublished.connect(_content_changed, dispatch_uid="mirrors-export-on-unpublish")


connect_publishing()
