from django.core.files.base import ContentFile
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import AbstractImage, AbstractRendition, Image

from .metadata import strip_metadata


class CustomImage(AbstractImage):
    """An image with the caption and credit a news photo needs."""

    caption = models.CharField(_("caption"), max_length=500, blank=True)
    credit = models.CharField(
        _("credit"), max_length=255, blank=True, help_text=_('For example "Kremlin.ru"')
    )
    credit_url = models.URLField(_("credit URL"), blank=True)

    admin_form_fields = Image.admin_form_fields + ("caption", "credit", "credit_url")

    def save(self, *args, **kwargs):
        if self.file and not getattr(self.file, "_committed", True):
            self._strip_uploaded_file()
        super().save(*args, **kwargs)

    def _strip_uploaded_file(self):
        """Replace the not-yet-stored upload by a copy without metadata."""
        self.file.seek(0)
        cleaned, _fmt = strip_metadata(self.file.read())
        name = self.file.name
        self.file = ContentFile(cleaned, name=name)
        self.file_size = len(cleaned)
        self._set_file_hash()

    def generate_rendition_file(self, filter, *, source=None):
        # Renditions are re-encoded too; strip again in case the encoder
        # carried anything over (ICC profiles, EXIF from some formats).
        generated = super().generate_rendition_file(filter, source=source)
        generated.seek(0)
        cleaned, _fmt = strip_metadata(generated.read())
        return ContentFile(cleaned, name=generated.name)

    @property
    def default_alt_text(self):
        return self.description or self.title


class CustomRendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
