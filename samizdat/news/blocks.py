"""StreamField blocks for article bodies.

The embed block never renders a third party's iframe: it shows a thumbnail
stored with us and a plain link, so a reader's browser contacts no one else.
"""

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "superscript", "subscript"]


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "news/blocks/heading.html"
        label = _("Subheading")


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(required=False, label=_("Attribution"))

    class Meta:
        icon = "openquote"
        template = "news/blocks/pull_quote.html"
        label = _("Pull quote")


class ArticleImageBlock(blocks.StructBlock):
    """A picture in the text. Its caption and alt text are the page's, in the page's
    language; the image library's own (written in the site's main language) fill in
    only on pages in that language, so a translation never shows another's words."""

    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(
        required=False, label=_("Caption"),
        help_text=_("In this page's language. Leave empty to use the image's own caption "
                    "(only on pages in the site's main language)."),
    )
    alt = blocks.CharBlock(
        required=False, label=_("Alt text"),
        help_text=_("What the picture shows, for readers who cannot see it, in this page's "
                    "language. Leave empty to use the image's own description (only on "
                    "pages in the site's main language)."),
    )

    class Meta:
        icon = "image"
        template = "news/blocks/image.html"
        label = _("Image")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        image = value.get("image")
        library = image is not None and get_language() == settings.LANGUAGE_CODE
        context["caption"] = value.get("caption") or (image.caption if library else "")
        context["alt"] = value.get("alt") or (image.default_alt_text if library else "")
        return context


class LocalEmbedBlock(blocks.StructBlock):
    """A video or post elsewhere, shown as a local thumbnail and a link."""

    url = blocks.URLBlock(label=_("Link"))
    title = blocks.CharBlock(label=_("Title"))
    provider = blocks.CharBlock(
        required=False, label=_("Where it is"), help_text=_('For example "YouTube"')
    )
    thumbnail = ImageChooserBlock(required=False, label=_("Thumbnail (stored here)"))

    class Meta:
        icon = "media"
        template = "news/blocks/embed.html"
        label = _("Embed (link with thumbnail)")


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, label=_("Paragraph"), template="news/blocks/paragraph.html"
    )
    heading = HeadingBlock()
    pull_quote = PullQuoteBlock()
    image = ArticleImageBlock()
    embed = LocalEmbedBlock()
