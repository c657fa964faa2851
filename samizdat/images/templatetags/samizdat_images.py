"""`{% picture %}` with its markup kept per process: load after wagtailimages_tags.

Wagtail's tag looks up an image's renditions (the rendition cache or the database,
a cache key and a parsed filter per spec) and builds the same `<picture>` for every
render. The markup depends only on the image (its file and focal point), the specs
and the attributes, so it is built once per process and kept in the loader's bounded
table (news/loader.py) under the page cache's generation: saving or deleting an
image starts a new generation (news/signal_handlers.py), which drops it.

The image may be a stand-in (`news.cards.ImageRef`) that fetches the image only when
the markup has to be built. Without a request, with `as`, or when the original file
is missing (Wagtail's "not-found" picture), the tag works as Wagtail's does.
"""

from django import template
from wagtail.images.models import Picture, SourceImageIOError
from wagtail.images.shortcuts import get_renditions_or_not_found
from wagtail.images.templatetags.wagtailimages_tags import PictureNode
from wagtail.images.templatetags.wagtailimages_tags import image as parse_image_tag

register = template.Library()


class KeptPictureNode(PictureNode):
    def render(self, context):
        request = context.get("request")
        if request is None or self.output_var_name:
            return super().render(context)
        image = self.validate_image(context)
        if not image:
            return ""
        attrs = {name: value.resolve(context) for name, value in self.attrs.items()}
        key = (image.pk, tuple(self.filter_specs),
               tuple((name, type(value), value) for name, value in attrs.items()))
        try:
            hash(key)
        except TypeError:
            key = None
        if image.pk is None or key is None:
            return Picture(get_renditions_or_not_found(_real(image), self.get_filters()),
                           attrs).__html__()

        def build():
            renditions = _real(image).get_renditions(*self.get_filters())
            return Picture(renditions, dict(attrs)).__html__()

        from samizdat.news.loader import memo

        try:
            return memo(request, "picture", key, build)
        except SourceImageIOError:  # not kept: the file may come back
            return Picture(get_renditions_or_not_found(_real(image), self.get_filters()),
                           attrs).__html__()


def _real(image):
    load = getattr(image, "load", None)
    return load() if load is not None else image


def picture(parser, token):
    node = parse_image_tag(parser, token)
    node.__class__ = KeptPictureNode
    return node


register.tag("picture", picture)
