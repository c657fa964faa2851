"""Staff groups in the admin, each with the one-line description its app gives it.

Django's Group has no description field. The apps that create groups (news: Reporter,
Editor, Admin; support: Fundraising) describe them through the
`samizdat_group_descriptions` hook, in both languages; the group listing shows the
line beside each name and the group's edit page above its permissions.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.users.views import groups as wagtail_groups

__all__ = ["GroupViewSet", "group_descriptions"]


def group_descriptions():
    """{group name: description} from every app that registers the hook."""
    descriptions = {}
    for fn in hooks.get_hooks("samizdat_group_descriptions"):
        descriptions.update(fn())
    return descriptions


def describe(group):
    return group_descriptions().get(group.name, "")


class IndexView(wagtail_groups.IndexView):
    columns = [
        *wagtail_groups.IndexView.columns,
        Column("description", label=_("What it is for"), accessor=describe),
    ]


class DescribedMixin:
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        instance = getattr(self, "object", None)
        context["group_description"] = describe(instance) if instance is not None else ""
        return context


class EditView(DescribedMixin, wagtail_groups.EditView):
    pass


class GroupViewSet(wagtail_groups.GroupViewSet):
    index_view_class = IndexView
    edit_view_class = EditView
    edit_template_name = "users/group_edit.html"
