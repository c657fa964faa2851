"""Newsletters in the Wagtail admin: staff edit newsletters and issues; subscribers are
not listed by address (the addresses are encrypted), only counted per newsletter."""

from django.db.models import Count, Q
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_views, import_views
from .models import Issue, Newsletter, TelegramChannel
from .telegram_admin import TelegramChannelForm


class NewsletterViewSet(SnippetViewSet):
    model = Newsletter
    icon = "mail"
    menu_label = _("Newsletters")
    list_display = ["name", "language", "cadence", "discreet",
                    Column("confirmed_count", label=_("Confirmed subscribers"))]
    list_filter = ["language"]

    def get_queryset(self, request):
        return Newsletter.objects.annotate(
            confirmed_count=Count("subscriptions",
                                  filter=Q(subscriptions__confirmed__isnull=False)))


class IssueViewSet(SnippetViewSet):
    model = Issue
    icon = "doc-full"
    menu_label = _("Issues")
    list_display = ["subject", "newsletter", "status",
                    Column("sent_count", label=_("Sent to")),
                    Column("delivery_count", label=_("Recipients")), "delivered_count",
                    "bounced_count", "complained_count", "unsubscribed_count", "sent_at"]
    list_filter = ["newsletter", "status"]

    def get_queryset(self, request):
        return Issue.objects.select_related("newsletter").annotate(
            delivery_count=Count("deliveries"),
            sent_count=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)))


class TelegramChannelViewSet(SnippetViewSet):
    model = TelegramChannel
    icon = "globe"
    menu_label = _("Telegram channels")
    list_display = ["name", "chat_id", "language", "post_articles", "newsletter", "active"]

    edit_handler = ObjectList(
        [FieldPanel(name) for name in ("name", "bot_token", "chat_id", "language",
                                       "post_articles", "newsletter", "active")],
        base_form_class=TelegramChannelForm)


class NewslettersGroup(SnippetViewSetGroup):
    items = (NewsletterViewSet, IssueViewSet, TelegramChannelViewSet)
    menu_icon = "mail"
    menu_label = _("Newsletters")
    menu_name = "newsletters"


register_snippet(NewslettersGroup)


@hooks.register("register_admin_urls")
def send_urls():
    return [path("newsletters/issues/<int:pk>/send/", admin_views.send_issue,
                 name="newsletters_send_issue"),
            path("newsletters/issues/<int:pk>/preview/", admin_views.preview_html,
                 name="newsletters_preview_issue"),
            path("newsletters/import/", import_views.import_subscribers,
                 name="newsletters_import")]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("newsletters.import_subscribers")


@hooks.register("register_settings_menu_item")
def import_menu_item():
    return ImportMenuItem(_("Import subscribers"), reverse("newsletters_import"),
                          icon_name="upload", order=900)


@hooks.register("register_snippet_listing_buttons")
def send_button(snippet, user, next_url=None):
    if isinstance(snippet, Issue) and user.has_perm("newsletters.send_issue"):
        yield Button(_("Send…"), reverse("newsletters_send_issue", args=[snippet.pk]),
                     icon_name="mail", priority=30)
