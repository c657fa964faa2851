"""Staff copy made safe for readers: sanitised HTML and filled placeholders.

Rich text is cleaned with nh3 on every render, whatever is in the database
(an import, a script, a compromised staff account), so a <script> or an
onclick= in appeal copy never reaches a reader.
"""

import re
from urllib.parse import quote

import nh3
from django.utils.html import escape
from django.utils.safestring import mark_safe
from wagtail.rich_text import expand_db_html

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "a", "ul", "ol", "li"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
PLACEHOLDER = re.compile(r"\{(outlet|goal|raised|percent|month|articles)\}")
TAG = re.compile(r"(<[^>]*>)")


def clean_rich_text(value):
    """Expand Wagtail's internal links, then keep only harmless tags."""
    return nh3.clean(
        expand_db_html(value or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )


def fill(html, values):
    """Replace {outlet}, {goal}… in already-safe HTML with escaped values.

    Each figure sits in a span the script may refresh; {articles} is filled
    only in the browser, and only if the newsroom turned the counter on.
    """

    def in_text(match):
        name = match.group(1)
        if name == "outlet":
            return escape(values.get("outlet", ""))
        return (
            f'<span class="appeal-fill" data-ap-fill="{name}">'
            f"{escape(values.get(name, ''))}</span>"
        )

    def in_tag(match):
        # Inside a tag only an href can hold one (ALLOWED_ATTRIBUTES): the value,
        # URL-quoted then escaped, never markup (a span there broke the link).
        return escape(quote(str(values.get(match.group(1), "")), safe=""))

    # The HTML is nh3's output or escaped text: tags are whole, and a ">" inside an
    # attribute value is written &gt;, so splitting on tags is exact.
    parts = TAG.split(html)
    filled = [PLACEHOLDER.sub(in_tag if part.startswith("<") else in_text, part)
              for part in parts]
    return mark_safe("".join(filled))  # noqa: S308 - input is escaped or cleaned


def render_text(value, values):
    return fill(clean_rich_text(value), values)


def render_line(value, values):
    return fill(escape(value or ""), values)
