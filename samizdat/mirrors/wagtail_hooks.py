"""Mirrors in the Wagtail admin, under Settings."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Mirror


class MirrorViewSet(SnippetViewSet):
    model = Mirror
    icon = "site"
    menu_label = _("Mirrors")
    add_to_settings_menu = True
    list_display = ["url", "kind", "status", "updated_at", "last_check_result"]
    list_filter = ["kind", "status"]


register_snippet(MirrorViewSet)
