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

    def create_renditions(self, *filters):
        """Return the stored renditions, never a concurrent loser's file.

        Wagtail creates several renditions with one ``bulk_create(ignore_conflicts=True)``:
        when another process (an export worker, a second app server) stored the same
        rendition meanwhile, Wagtail hands back its own unsaved copy, whose file the
        database does not know. Pages would then link different files from one process
        to the next (mirror exports stop being deterministic) and orphans pile up.
        """
        created = super().create_renditions(*filters)
        if len(created) < 2:
            return created
        stored = {
            (row.filter_spec, row.focal_point_key): row
            for row in self.renditions.filter(filter_spec__in=[f.spec for f in created])
        }
        result = {}
        for filter, rendition in created.items():
            row = stored.get((rendition.filter_spec, rendition.focal_point_key))
            if row is not None:
                if row.file.name != rendition.file.name:
                    rendition.file.delete(save=False)
                row.image = self
                rendition = row
            result[filter] = rendition
        return result

    @property
    def default_alt_text(self):
        return self.description or self.title


class CustomRendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
