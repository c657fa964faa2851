"""Sections of a reader's self-service page that other apps add.

The page and its e-mailed sign-in link belong to support ("manage my support"),
which must not import the apps that add to it. An app registers a `Section` in
its AppConfig.ready(); support renders each one on the page and asks them
whether a reader who is no supporter may still get a link (the way
core/personal_data.py lets support export and erase other apps' rows).
"""

from django.template.loader import render_to_string

__all__ = ["Section", "address_for", "register", "render_sections", "sections"]

_sections = {}


class Section:
    #: Unique key; registering the same name again replaces the section.
    name = ""
    #: Rendered with `context()` plus `request`; a fragment, not a whole page.
    template_name = ""

    def address(self, email_index):
        """The address behind this blind index if the app may send this reader a
        sign-in link (it knows them and they asked for its mail), else None."""
        return None

    def context(self, request, email_index):
        """The template's context, or None to leave the section out."""
        return {}


def register(section):
    if not section.name or not section.template_name:
        raise ValueError("A self-service section needs a name and a template.")
    _sections[section.name] = section
    return section


def sections():
    return list(_sections.values())


def address_for(email_index):
    """The first address a registered section knows under this blind index, or None."""
    for section in sections():
        address = section.address(email_index)
        if address:
            return address
    return None


def render_sections(request, email_index):
    """Each section's HTML for the signed-in reader, in registration order."""
    rendered = []
    for section in sections():
        context = section.context(request, email_index)
        if context is not None:
            rendered.append(render_to_string(section.template_name, context, request=request))
    return rendered
