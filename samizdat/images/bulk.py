"""Renditions fetched once for many pages (the static export's workers).

A page shows a few images, each looked up with its renditions: on the live site
per request, from the rendition cache or the database. While `renditions_fetched_once()`
is active (news's `SiteUrls.bulk_render`, inside each export worker), every
image reads its renditions from one index fetched on first use, and a rendition
made meanwhile is added to it. Only one thread renders in an export worker.

A look-up copies only the renditions it asks for (by filter spec and focal point
key), not every rendition of the image: an image has dozens.
"""

from collections import defaultdict

from django.apps import apps

from samizdat.core.bulk import Stores


class _Store:
    """Each rendition as a tuple of its field values (a model instance per rendition,
    held for the whole export, weighs several times more); a look-up makes the model
    instance, as the query would, with this request's image."""

    def __init__(self):
        self.by_image = None

    def _index(self):
        if self.by_image is None:
            # By name: models imports this module (no import circle).
            CustomRendition = apps.get_model("images", "CustomRendition")  # noqa: N806
            self.model = CustomRendition
            self.fields = [f.attname for f in CustomRendition._meta.concrete_fields]
            at = self.fields.index
            self._image_at, self._spec_at, self._focal_at = (
                at("image_id"), at("filter_spec"), at("focal_point_key"))
            renditions = CustomRendition.objects.order_by("pk")
            self.db = renditions.db
            self.by_image = defaultdict(dict)
            for row in renditions.values_list(*self.fields).iterator(chunk_size=2000):
                self._put(row)
        return self.by_image

    def warm(self):
        """Fetch now (before the export forks its workers, which then share it)."""
        self._index()

    def _put(self, row):
        # The first by primary key wins, as in Wagtail's scan of a prefetched list.
        key = (row[self._spec_at], row[self._focal_at])
        self.by_image[row[self._image_at]].setdefault(key, row)

    def _own(self, row, image):
        """A rendition of its own for this request, its image this request's."""
        rendition = self.model.from_db(self.db, self.fields, row)
        rendition._state.fields_cache = {"image": image}
        return rendition

    def renditions_of(self, image):
        return [self._own(r, image) for r in self._index().get(image.pk, {}).values()]

    def find(self, image, spec, focal_point_key):
        """The rendition of `image` for this spec and focal point, or None."""
        row = self._index().get(image.pk, {}).get((spec, focal_point_key))
        return None if row is None else self._own(row, image)

    def add(self, rendition):
        if self.by_image is not None:
            self._put(tuple(getattr(rendition, name) for name in self.fields))


_stores = Stores(_Store)
active = _stores.active
renditions_fetched_once = _stores.fetched_once
