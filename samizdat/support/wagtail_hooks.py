"""The Fundraising section of the Wagtail admin: dashboard, contributions, pledges.

Listings are read-only for everyone, superusers included: money state moves
only through verified provider events (support/webhooks.py), never by hand.
Only users with the Fundraising group's view permissions see any of it, and
every listing page, record and export they open is written to the audit log
(support/audit.py), which the Access log shows and nobody can edit.
"""

from django.db.models import Q
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from . import audit, exports
from .btcpay_staff import RefundColumn, refund_view
from .crypto import blind_index
from .models import Contribution, Pledge
from .money import format_money
from .staff_views import (
    ACCESS_LOG_PERMISSION,
    DASHBOARD_PERMISSION,
    TRANSFER_PERMISSION,
    FundraisingInspectView,
    access_log_view,
    awaits_transfer,
    dashboard_view,
    figure_csv_view,
    transfer_view,
)


class ReadOnlyPolicy(ModelPermissionPolicy):
    """View permission as granted; add, change and delete refused to all."""

    WRITE_ACTIONS = {"add", "change", "delete"}

    def user_has_permission(self, user, action):
        if action in self.WRITE_ACTIONS:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission(set(actions) - self.WRITE_ACTIONS)


def _email(obj):
    return obj.email  # the supporter's, or the one typed at a checkout not paid yet


def _amount(obj):
    return format_money(obj.amount_minor, obj.currency)


class TransferColumn(Column):
    """"Confirm arrival" on pending bank transfers, for staff who may confirm them."""

    cell_template_name = "support/staff/transfer_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["url"] = (
            reverse("contributions:transfer", args=[instance.pk])
            if request is not None
            and request.user.has_perm(TRANSFER_PERMISSION)
            and awaits_transfer(instance)
            else ""
        )
        return context


class ContributionIndexView(exports.FundraisingIndexView):
    export_columns = {
        "email": _email,
        "amount": lambda obj: exports.amount_cell(obj.amount_minor, obj.currency),
    }

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("supporter")

    def search_queryset(self, queryset):
        """An address is found through its blind index (it is encrypted); else the reference."""
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        if "@" in query:
            index = blind_index(query) or "-"
            return queryset.filter(Q(supporter__email_index=index)
                                   | Q(checkout_email_index=index))
        return queryset.filter(reference__icontains=query)


class PledgeIndexView(ContributionIndexView):
    pass


class FundraisingModelViewSet(ModelViewSet):
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = FundraisingInspectView  # each opening is audit-logged
    search_fields = ["reference"]  # and the e-mail, exactly: see search_queryset
    list_per_page = 50

    @property
    def permission_policy(self):
        return ReadOnlyPolicy(self.model)


class ContributionViewSet(FundraisingModelViewSet):
    model = Contribution
    name = "contributions"
    url_prefix = "fundraising/contributions"
    icon = "pick"
    menu_label = _("One-off gifts")
    index_view_class = ContributionIndexView
    form_fields = ["status"]  # never editable: see ReadOnlyPolicy
    list_display = [
        "reference",
        Column("email", label=_("E-mail"), accessor=_email),
        Column("amount", label=_("Amount"), accessor=_amount),
        "status",
        "provider",
        DateColumn("created_at", label=_("Created")),
        DateColumn("paid_at", label=_("Paid")),
        TransferColumn("transfer", label=""),
        RefundColumn("btcpay_refund", label=""),
    ]
    list_filter = ["status", "currency", "provider", "created_at"]
    list_export = [
        "reference", "email", "amount", "currency", "status", "provider", "created_at", "paid_at",
    ]
    export_headings = {"email": _("E-mail"), "amount": _("Amount")}
    export_filename = "contributions"
    inspect_view_fields = [
        "reference", "status", "amount", "provider", "language",
        "created_at", "paid_at", "appeal", "variant",
    ]

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("transfer/<int:pk>/", transfer_view, name="transfer"),
            path("btcpay-refund/<int:pk>/", refund_view, name="btcpay_refund"),
        ]


class PledgeViewSet(FundraisingModelViewSet):
    model = Pledge
    name = "pledges"
    url_prefix = "fundraising/pledges"
    icon = "repeat"
    menu_label = _("Recurring plans")
    index_view_class = PledgeIndexView
    form_fields = ["status"]
    list_display = [
        "reference",
        Column("email", label=_("E-mail"), accessor=_email),
        Column("amount", label=_("Amount"), accessor=_amount),
        "frequency",
        "status",
        "amount_mismatch",
        "provider",
        DateColumn("created_at", label=_("Created")),
        DateColumn("canceled_at", label=_("Canceled")),
    ]
    list_filter = ["status", "amount_mismatch", "frequency", "currency", "provider",
                   "created_at"]
    list_export = [
        "reference", "email", "amount", "currency", "frequency", "status", "provider",
        "created_at", "activated_at", "canceled_at", "cancel_reason",
    ]
    export_headings = {"email": _("E-mail"), "amount": _("Amount per period")}
    export_filename = "pledges"
    inspect_view_fields = [
        "reference", "status", "amount_mismatch", "frequency", "amount",
        "provider", "language", "created_at", "activated_at", "canceled_at", "cancel_reason",
    ]


class DashboardViewSet(ViewSet):
    name = "fundraising"
    icon = "view"
    menu_label = _("Dashboard")

    @property
    def menu_item_class(self):
        class DashboardMenuItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm(DASHBOARD_PERMISSION)

        return DashboardMenuItem

    @property
    def menu_url(self):
        return reverse("fundraising:index")

    def get_urlpatterns(self):
        return [
            path("", dashboard_view, name="index"),
            path("csv/<slug:figure>/", figure_csv_view, name="csv"),
        ]


class AccessLogViewSet(ViewSet):
    """Read-only: who viewed or exported supporters' records (support/audit.py)."""

    name = "fundraising_access_log"
    url_prefix = "fundraising/access-log"
    icon = "history"
    menu_label = _("Access log")

    @property
    def menu_item_class(self):
        class AccessLogMenuItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm(ACCESS_LOG_PERMISSION)

        return AccessLogMenuItem

    @property
    def menu_url(self):
        return reverse("fundraising_access_log:index")

    def get_urlpatterns(self):
        return [path("", access_log_view, name="index")]


class FundraisingGroup(ViewSetGroup):
    menu_label = _("Fundraising")
    menu_icon = "pick"
    menu_order = 250
    items = (DashboardViewSet, ContributionViewSet, PledgeViewSet, AccessLogViewSet)


@hooks.register("register_admin_viewset")
def register_fundraising():
    return FundraisingGroup()


hooks.register("register_log_actions", exports.register_log_actions)
hooks.register("register_log_actions", audit.register_log_actions)


@hooks.register("samizdat_group_descriptions")
def fundraising_group_description():
    from .staff import DESCRIPTION, FUNDRAISING

    return {FUNDRAISING: DESCRIPTION}
