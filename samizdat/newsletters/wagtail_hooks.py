"""Newsletters in the Wagtail admin: staff edit newsletters; subscribers are not listed
by address (the addresses are encrypted), only counted per newsletter."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Newsletter


class NewsletterViewSet(SnippetViewSet):
    model = Newsletter
    icon = "mail"
    menu_label = _("Newsletters")
    add_to_admin_menu = True
    list_display = ["name", "language", "cadence", "discreet",
                    Column("confirmed_count", label=_("Confirmed subscribers"))]
    list_filter = ["language"]

    def get_queryset(self, request):
        return Newsletter.objects.annotate(
            confirmed_count=Count("subscriptions",
                                  filter=Q(subscriptions__confirmed__isnull=False)))


register_snippet(NewsletterViewSet)
