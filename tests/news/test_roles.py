"""A new install offers Samizdat's roles only, not Wagtail's defaults beside them."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from wagtail.models import (
    GroupApprovalTask,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowState,
    WorkflowTask,
)

pytestmark = pytest.mark.django_db

retire = importlib.import_module("samizdat.news.migrations.0006_retire_wagtail_default_roles")


def test_a_migrated_install_has_the_newsroom_roles_and_one_review_workflow():
    assert set(Group.objects.values_list("name", flat=True)) == {
        "Reporter", "Editor", "Admin", "Fundraising"}
    assert list(Workflow.objects.values_list("name", flat=True)) == ["Editor approval"]
    assert WorkflowPage.objects.get(page=Page.get_first_root_node()).workflow.name == \
        "Editor approval"
    task = GroupApprovalTask.objects.get()
    assert list(task.groups.values_list("name", flat=True)) == ["Editor"]


def test_wagtail_defaults_that_staff_use_are_kept(django_user_model):
    """An install upgraded with members in "Moderators" and reviews in its workflow keeps
    both; the unused "Editors" group goes."""
    moderators = Group.objects.create(name="Moderators")
    Group.objects.create(name="Editors")
    django_user_model.objects.create_user("mod", password="x").groups.add(moderators)
    task = GroupApprovalTask.objects.create(name="Moderators approval")
    task.groups.add(moderators)
    workflow = Workflow.objects.create(name="Moderators approval")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    page = Page.get_first_root_node()
    WorkflowState.objects.create(workflow=workflow, content_type=page.content_type,
                                 base_content_type=page.content_type,
                                 object_id=str(page.pk), status="approved")

    retire.retire(django_apps, None)

    assert set(Group.objects.values_list("name", flat=True)) >= {"Moderators"}
    assert not Group.objects.filter(name="Editors").exists()
    assert Workflow.objects.filter(name="Moderators approval").exists()
    assert GroupApprovalTask.objects.filter(name="Moderators approval").exists()
