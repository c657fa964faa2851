"""Scheduled publishing, the editor-approval workflow, revisions and preview."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from samizdat.news.models import ArticlePage, Author, SectionPage
from samizdat.news.roles import EDITOR, REPORTER


def member_of(group_name, username):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-12345-x")
    user.groups.add(Group.objects.get(name=group_name))
    return user


def article_form(title, slug, author, **extra):
    data = nested_form_data({
        "title": title,
        "slug": slug,
        "standfirst": "Filed from the field.",
        "lead_image_caption": "",
        "article_authors": inline_formset([{"author": author.pk}], min=1),
        "body": streamfield([("paragraph", rich_text("<p>The ice broke on Tuesday.</p>"))]),
        "tags": "ferries, winter",
        "related_links": inline_formset([], max=6),
        "comments": inline_formset([]),
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
        "updated_at": "",
    })
    data.update(extra)
    return data


@pytest.fixture
def news(demo_site):
    return SectionPage.objects.get(slug="news", locale__language_code="en")


@pytest.fixture
def author(demo_site):
    return Author.objects.get(slug="anna-weiss")


@pytest.mark.django_db
def test_scheduled_article_goes_live_when_run_periodic_runs(client, news, author):
    article = ArticlePage(title="Ferry crossing reopens", slug="ferry-reopens", live=False,
                          go_live_at=timezone.now() + datetime.timedelta(hours=1))
    news.add_child(instance=article)
    revision = article.save_revision()
    revision.publish()
    article.refresh_from_db()
    assert not article.live
    assert client.get("/news/ferry-reopens/").status_code == 404
    # The hour passes.
    past = timezone.now() - datetime.timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save()
    call_command("run_periodic", once=True)
    article.refresh_from_db()
    assert article.live
    assert client.get("/news/ferry-reopens/").status_code == 200


@pytest.mark.django_db
def test_expired_article_goes_offline_when_run_periodic_runs(client, demo_site):
    url = "/news/court-jails-school-librarian/"
    assert client.get(url).status_code == 200
    article = ArticlePage.objects.get(slug="court-jails-school-librarian",
                                      locale__language_code="en")
    ArticlePage.objects.filter(pk=article.pk).update(
        expire_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    call_command("run_periodic", once=True)
    article.refresh_from_db()
    assert not article.live and article.expired
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_publish_scheduled_is_a_periodic_job(settings):
    assert "publish_scheduled" in [name for name, _interval in settings.SAMIZDAT_PERIODIC_JOBS]


@pytest.mark.django_db
def test_reporter_can_create_and_submit_but_not_publish(client, news, author):
    client.force_login(member_of(REPORTER, "reporter"))
    add_url = f"/admin/pages/add/news/articlepage/{news.pk}/"
    response = client.post(add_url, article_form("Ferry crossing reopens", "ferry-reopens", author,
                                                 **{"action-publish": "publish"}))
    assert response.status_code in (200, 302)
    article = ArticlePage.objects.get(slug="ferry-reopens")
    assert not article.live  # the publish button is not theirs to press
    edit_url = f"/admin/pages/{article.pk}/edit/"
    response = client.post(edit_url, article_form("Ferry crossing reopens", "ferry-reopens",
                                                  author, **{"action-submit": "submit"}))
    assert response.status_code == 302
    article.refresh_from_db()
    assert not article.live
    state = WorkflowState.objects.get(object_id=str(article.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.task.name == "Editor approval"
    assert client.get("/news/ferry-reopens/").status_code == 404


@pytest.mark.django_db
def test_editor_approves_a_submitted_article_and_it_is_published(client, news, author):
    client.force_login(member_of(REPORTER, "reporter"))
    client.post(f"/admin/pages/add/news/articlepage/{news.pk}/",
                article_form("Ferry crossing reopens", "ferry-reopens", author,
                             **{"action-submit": "submit"}))
    article = ArticlePage.objects.get(slug="ferry-reopens")
    state = WorkflowState.objects.get(object_id=str(article.pk))
    task_state = state.current_task_state

    client.force_login(member_of(EDITOR, "editor"))
    response = client.post(
        f"/admin/pages/workflow/action/{article.pk}/approve/{task_state.pk}/",
        {"comment": "Good to go"},
    )
    assert response.status_code in (200, 302)
    article.refresh_from_db()
    assert article.live
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    client.logout()
    assert "The ice broke on Tuesday." in client.get("/news/ferry-reopens/").content.decode()


@pytest.mark.django_db
def test_editor_can_publish_directly(client, news, author):
    client.force_login(member_of(EDITOR, "editor"))
    response = client.post(f"/admin/pages/add/news/articlepage/{news.pk}/",
                           article_form("Ferry crossing reopens", "ferry-reopens", author,
                                        **{"action-publish": "publish"}))
    assert response.status_code == 302
    assert ArticlePage.objects.get(slug="ferry-reopens").live


@pytest.mark.django_db
def test_edits_are_kept_as_revisions_and_drafts_stay_off_the_site(client, demo_site, author):
    editor = member_of(EDITOR, "editor")
    client.force_login(editor)
    article = ArticlePage.objects.get(slug="court-jails-school-librarian",
                                      locale__language_code="en")
    before = article.revisions.count()
    response = client.post(f"/admin/pages/{article.pk}/edit/",
                           article_form("Librarian's appeal is heard", article.slug, author))
    assert response.status_code == 302
    assert article.revisions.count() == before + 1
    assert client.get(f"/admin/pages/{article.pk}/history/").status_code == 200
    client.logout()
    html = client.get("/news/court-jails-school-librarian/").content.decode()
    assert "Court jails a school librarian" in html  # the draft is not live
    assert "Librarian's appeal is heard" not in html


@pytest.mark.django_db
def test_preview_renders_unsaved_changes_privately(client, demo_site, author):
    client.force_login(member_of(REPORTER, "reporter"))
    article = ArticlePage.objects.get(slug="court-jails-school-librarian",
                                      locale__language_code="en")
    preview_url = f"/admin/pages/{article.pk}/edit/preview/"
    posted = client.post(preview_url, article_form("A headline still in preview", article.slug,
                                                   author))
    assert posted.json()["is_valid"]
    response = client.get(preview_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "A headline still in preview" in html
    assert "The ice broke on Tuesday." in html
    assert "public" not in response["Cache-Control"]
    client.logout()
    assert "A headline still in preview" not in client.get(
        "/news/court-jails-school-librarian/"
    ).content.decode()
