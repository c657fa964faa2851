from django.core.files.base import ContentFile
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import AbstractImage, AbstractRendition, Image

from . import bulk
from .filters import shared as shared_filter
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

    def get_rendition(self, filter):
        return super().get_rendition(shared_filter(filter))

    def get_renditions(self, *specs):
        return super().get_renditions(*(shared_filter(spec) for spec in specs))

    def find_existing_renditions(self, *filters):
        store = bulk.active()
        if store is None or not self.pk:
            if self._get_prefetched_renditions() is not None:
                return super().find_existing_renditions(*filters)
            return self._find_cached_or_stored(filters)
        found = {}
        for filter in filters:
            rendition = store.find(self, filter.spec, filter.get_cache_key(self))
            if rendition is not None:
                rendition._from_cache = True  # as Wagtail marks a prefetched one
                found[filter] = rendition
        return found

    def _find_cached_or_stored(self, filters):
        """Wagtail's look-up in the rendition cache, then the database; but a
        rendition read from the cache is marked so, and get_renditions does not
        write it back to the cache on every render (as it does for prefetched ones)."""
        Rendition = self.get_rendition_model()  # noqa: N806
        by_spec = {f.spec: f for f in filters}
        keys = {f: f.get_cache_key(self) for f in filters}
        found = {}
        cache_keys = [
            Rendition.construct_cache_key(self, keys[f], spec) for spec, f in by_spec.items()
        ]
        for rendition in Rendition.cache_backend.get_many(cache_keys).values():
            filter = by_spec[rendition.filter_spec]
            rendition.image = self
            rendition._from_cache = True
            found[filter] = rendition
        not_found = [f for f in filters if f not in found]
        if not_found:
            lookup = Q()
            for filter in not_found:
                lookup |= Q(filter_spec=filter.spec, focal_point_key=keys[filter])
            for rendition in self.renditions.filter(lookup):
                found[by_spec[rendition.filter_spec]] = rendition
        return found

    def _get_prefetched_renditions(self):
        store = bulk.active()
        if store is not None and self.pk:
            return store.renditions_of(self)
        return super()._get_prefetched_renditions()

    def _add_to_prefetched_renditions(self, rendition):
        store = bulk.active()
        if store is not None:
            store.add(rendition)
        super()._add_to_prefetched_renditions(rendition)

    @property
    def default_alt_text(self):
        return self.description or self.title


class CustomRendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
