"""Renditions fetched once for many pages (the static export's workers).

A page shows a few images, each looked up with its renditions: on the live site
per request, from the rendition cache or the database. While `renditions_fetched_once()`
is active (news's `SiteUrls.bulk_render`, inside each export worker), every
image reads its renditions from one index fetched on first use, and a rendition
made meanwhile is added to it. Only one thread renders in an export worker.

A look-up copies only the renditions it asks for (by filter spec and focal point
key), not every rendition of the image: an image has dozens.
"""

import copy
from collections import defaultdict

from django.apps import apps

from samizdat.core.bulk import Stores


def _own(rendition, image):
    """A copy of a shared rendition whose image is this request's."""
    own = copy.copy(rendition)
    own._state = copy.copy(rendition._state)
    own._state.fields_cache = {"image": image}
    return own


class _Store:
    def __init__(self):
        self.by_image = None

    def _index(self):
        if self.by_image is None:
            # By name: models imports this module (no import circle).
            CustomRendition = apps.get_model("images", "CustomRendition")  # noqa: N806
            self.by_image = defaultdict(dict)
            for rendition in CustomRendition.objects.order_by("pk").iterator(chunk_size=2000):
                self._put(rendition)
        return self.by_image

    def warm(self):
        """Fetch now (before the export forks its workers, which then share it)."""
        self._index()

    def _put(self, rendition):
        # The first by primary key wins, as in Wagtail's scan of a prefetched list.
        key = (rendition.filter_spec, rendition.focal_point_key)
        self.by_image[rendition.image_id].setdefault(key, rendition)

    def renditions_of(self, image):
        return [_own(r, image) for r in self._index().get(image.pk, {}).values()]

    def find(self, image, spec, focal_point_key):
        """The rendition of `image` for this spec and focal point, or None."""
        rendition = self._index().get(image.pk, {}).get((spec, focal_point_key))
        return None if rendition is None else _own(rendition, image)

    def add(self, rendition):
        if self.by_image is not None:
            self._put(rendition)


_stores = Stores(_Store)
active = _stores.active
renditions_fetched_once = _stores.fetched_once
