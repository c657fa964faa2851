"""StreamField blocks for article bodies.

The embed block never renders a third party's iframe: it shows a thumbnail
stored with us and a plain link, so a reader's browser contacts no one else.
"""

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
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(
        required=False, label=_("Caption"), help_text=_("Leave empty to use the image's caption")
    )

    class Meta:
        icon = "image"
        template = "news/blocks/image.html"
        label = _("Image")


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
