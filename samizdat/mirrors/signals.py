"""Keep the cached onion address fresh and queue exports after publishing."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .mirrorlist import forget_onion_url
from .models import Mirror


@receiver(post_save, sender=Mirror)
@receiver(post_delete, sender=Mirror)
def mirror_changed(sender, **kwargs):
    forget_onion_url()
