"""A new install has Samizdat's roles only: Wagtail's default "Editors" and "Moderators"
groups and its "Moderators approval" workflow go, unless staff already use them (a
group with members, a workflow or task with a review in its history stays).
Samizdat's Reporter, Editor and Admin and the "Editor approval" workflow are made after
every migrate when missing (news/roles.py: ensure_newsroom_roles)."""

from django.conf import settings
from django.db import migrations

WAGTAIL_GROUPS = ("Editors", "Moderators")
WAGTAIL_REVIEW = "Moderators approval"


def retire(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowState = apps.get_model("wagtailcore", "WorkflowState")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    TaskState = apps.get_model("wagtailcore", "TaskState")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    for workflow in Workflow.objects.filter(name=WAGTAIL_REVIEW):
        if not WorkflowState.objects.filter(workflow=workflow).exists():
            workflow.delete()  # its page assignments and task links go with it
    for task in GroupApprovalTask.objects.filter(name=WAGTAIL_REVIEW):
        if not (TaskState.objects.filter(task_id=task.pk).exists()
                or WorkflowTask.objects.filter(task_id=task.pk).exists()):
            task.delete()
    for group in Group.objects.filter(name__in=WAGTAIL_GROUPS):
        in_use = (User.objects.filter(groups=group).exists()
                  or GroupApprovalTask.objects.filter(groups=group).exists())
        if not in_use:
            group.delete()  # its page and collection permissions go with it


class Migration(migrations.Migration):

    dependencies = [
        ("news", "0005_periodic_job_run_moved_to_core"),
        ("wagtailcore", "0048_add_default_workflows"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("users", "0001_initial"),
    ]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
