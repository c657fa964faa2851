"""Appeals in the Wagtail admin: the snippet editor and the results report."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Appeal


class AppealViewSet(SnippetViewSet):
    model = Appeal
    icon = "pick"
    menu_label = _("Appeals")
    menu_order = 250
    add_to_admin_menu = True
    list_display = ["name", "placement", "priority", "start_at", "end_at"]
    list_filter = ["placement", "live"]
    search_fields = ["name"]


register_snippet(AppealViewSet)


def results_view(request):
    from .report import appeal_results

    if not request.user.has_perm("appeals.view_appeal"):
        raise PermissionDenied
    return render(request, "appeals/admin/results.html", {
        "results": appeal_results(),
        "header_title": _("Appeal results"),
    })


@hooks.register("register_admin_urls")
def register_results_url():
    return [path("appeals/results/", results_view, name="appeals_results")]


class ResultsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("appeals.view_appeal")


@hooks.register("register_admin_menu_item")
def register_results_menu_item():
    return ResultsMenuItem(
        _("Appeal results"), reverse("appeals_results"), icon_name="table", order=251
    )


@hooks.register("samizdat_appeal_names")
def appeal_names():
    """Names for the fundraising dashboard's revenue by appeal (gifts store the appeal's id;
    support never imports appeals)."""
    return {str(pk): name for pk, name in Appeal.objects.values_list("pk", "name")}
