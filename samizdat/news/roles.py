"""The newsroom's staff groups, locales and review workflow.

Idempotent, so `setup_newsroom` can run on every deploy: it creates what is
missing and leaves what staff changed alone.
"""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

REPORTER, EDITOR, ADMIN = "Reporter", "Editor", "Admin"
# One line each, shown where staff manage groups (samizdat/users/groups.py).
DESCRIPTIONS = {
    REPORTER: _("Writes and edits articles, adds images and authors, and submits stories "
                "for an editor's approval; cannot publish."),
    EDITOR: _("Edits, approves and publishes articles, and manages authors, images and "
              "tags."),
    ADMIN: _("Runs the site: publishes, manages sites, languages, redirects, outlet "
             "settings and staff accounts (not their access to supporters' data)."),
}
LANGUAGES = ("en", "ru")

PAGE_PERMISSIONS = {
    REPORTER: ["add_page", "change_page"],
    EDITOR: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
    ADMIN: ["add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page",
            "unlock_page"],
}
COLLECTION_PERMISSIONS = {
    REPORTER: ["add_image", "choose_image", "add_document", "choose_document"],
    EDITOR: ["add_image", "change_image", "choose_image", "add_document", "change_document",
             "choose_document"],
    ADMIN: ["add_image", "change_image", "delete_image", "choose_image", "add_document",
            "change_document", "delete_document", "choose_document"],
}
MODEL_PERMISSIONS = {
    REPORTER: ["wagtailadmin.access_admin", "news.add_author", "news.change_author"],
    EDITOR: ["wagtailadmin.access_admin", "news.add_author", "news.change_author",
             "news.delete_author", "taggit.add_tag", "taggit.change_tag"],
    ADMIN: ["wagtailadmin.access_admin", "news.add_author", "news.change_author",
            "news.delete_author", "taggit.add_tag", "taggit.change_tag", "taggit.delete_tag",
            "wagtailcore.add_site", "wagtailcore.change_site", "wagtailcore.add_locale",
            "wagtailcore.change_locale", "wagtailredirects.add_redirect",
            "wagtailredirects.change_redirect", "wagtailredirects.delete_redirect",
            "news.change_outletsettings", "users.add_user", "users.change_user"],
}
# Only superusers change what a group may do (samizdat/users/grants.py): taken back from
# groups of installs set up before that rule.
REVOKED = {ADMIN: ["auth.add_group", "auth.change_group"]}


def ensure_locales():
    for code in LANGUAGES:
        Locale.objects.get_or_create(language_code=code)


def _permission(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def ensure_groups(root_page=None):
    """Create Reporter, Editor and Admin with their permissions on `root_page`."""
    root_page = root_page or Page.get_first_root_node()
    root_collection = Collection.get_first_root_node()
    groups = {}
    for name in (REPORTER, EDITOR, ADMIN):
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*(_permission(p) for p in MODEL_PERMISSIONS[name]))
        group.permissions.remove(*(_permission(p) for p in REVOKED.get(name, ())))
        for codename in PAGE_PERMISSIONS[name]:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=root_page,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
        for codename in COLLECTION_PERMISSIONS[name]:
            app_label = "wagtailimages" if codename.endswith("image") else "wagtaildocs"
            GroupCollectionPermission.objects.get_or_create(
                group=group,
                collection=root_collection,
                permission=Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                ),
            )
        groups[name] = group
    return groups


def ensure_newsroom_roles(sender=None, app_config=None, using="default", **kwargs):
    """post_migrate: a new install gets Reporter, Editor and Admin and the "Editor
    approval" workflow on its root page (Wagtail's default groups and workflow are
    retired by news migration 0006). Runs once every app has its permissions, and only
    while the Editor group is missing, so staff's later changes are left alone."""
    from django.apps import apps

    if app_config is not None and app_config is not list(apps.get_app_configs())[-1]:
        return
    root = Page.get_first_root_node()
    if root is None or Group.objects.using(using).filter(name=EDITOR).exists():
        return  # no tree yet (a test database's flush), or already set up
    ensure_locales()
    groups = ensure_groups(root)
    ensure_review_workflow([root], groups[EDITOR])


def ensure_review_workflow(pages, editors):
    """'Editor approval': reporters submit, an editor approves and publishes."""
    task, _created = GroupApprovalTask.objects.get_or_create(name="Editor approval")
    task.groups.add(editors)
    workflow, _created = Workflow.objects.get_or_create(name="Editor approval")
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    for page in pages:
        WorkflowPage.objects.get_or_create(page=page, defaults={"workflow": workflow})
    return workflow
