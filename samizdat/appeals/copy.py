"""Staff copy made safe for readers: sanitised HTML and filled placeholders.

Rich text is cleaned with nh3 on every render, whatever is in the database
(an import, a script, a compromised staff account), so a <script> or an
onclick= in appeal copy never reaches a reader.
"""

import re

import nh3
from django.utils.html import escape
from django.utils.safestring import mark_safe
from wagtail.rich_text import expand_db_html

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "a", "ul", "ol", "li"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
PLACEHOLDER = re.compile(r"\{(outlet|goal|raised|percent|month|articles)\}")


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

    def replace(match):
        name = match.group(1)
        if name == "outlet":
            return escape(values.get("outlet", ""))
        return (
            f'<span class="appeal-fill" data-ap-fill="{name}">'
            f"{escape(values.get(name, ''))}</span>"
        )

    return mark_safe(PLACEHOLDER.sub(replace, html))  # noqa: S308 - input is escaped or cleaned


def render_text(value, values):
    return fill(clean_rich_text(value), values)


def render_line(value, values):
    return fill(escape(value or ""), values)
