"""The demo newsroom that `manage.py load_demo` builds."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone
from taggit.models import Tag
from wagtail.models import Page, Revision

from samizdat.images.models import CustomImage
from samizdat.news.models import ArticlePage, ArticleRelatedLink, Author, StandardPage


def snapshot():
    """What an operator would notice changing: rows and their latest versions."""
    return {
        "pages": sorted(Page.objects.values_list("pk", "url_path", "live", "latest_revision_id")),
        "revisions": Revision.objects.count(),
        "images": CustomImage.objects.count(),
        "authors": Author.objects.count(),
        "tags": Tag.objects.count(),
        "picks": ArticleRelatedLink.objects.count(),
        "groups": sorted(
            (g.name, g.permissions.count(), g.page_permissions.count()) for g in Group.objects.all()
        ),
    }


@pytest.mark.django_db
def test_demo_has_thirty_english_and_ten_russian_articles_in_four_sections(demo_site):
    live = ArticlePage.objects.live()
    assert live.filter(locale__language_code="en").count() >= 30
    assert live.filter(locale__language_code="ru").count() >= 10
    for code in ("en", "ru"):
        sections = {a.get_parent().slug for a in live.filter(locale__language_code=code)}
        assert sections == {"news", "opinion", "business", "culture"}


@pytest.mark.django_db
def test_building_the_demo_twice_changes_nothing(demo_site):
    from samizdat.news.demo import build_demo_site

    before = snapshot()
    build_demo_site()
    assert snapshot() == before


@pytest.mark.django_db
def test_russian_articles_are_translations_or_russian_only(demo_site):
    russian = ArticlePage.objects.live().filter(locale__language_code="ru")
    translated = [a for a in russian if a.get_translations().filter(locale__language_code="en")]
    assert len(translated) >= 5
    assert any(a.slug == "kak-chitat-nas-pri-blokirovke" for a in russian)
    assert len(translated) < russian.count()
    english = ArticlePage.objects.get(
        locale__language_code="en", slug="court-jails-school-librarian"
    )
    assert english.get_translation(russian.first().locale).title.startswith("Суд")


@pytest.mark.django_db
def test_demo_has_several_authors_including_staff_and_a_pseudonym(demo_site):
    authors = Author.objects.filter(article_links__isnull=False).distinct()
    assert authors.count() >= 4
    assert authors.filter(name="Staff").exists()
    assert authors.filter(is_pseudonym=True).exists()


@pytest.mark.django_db
def test_two_or_three_demo_articles_are_from_the_last_two_days(demo_site):
    since = timezone.now() - datetime.timedelta(days=2)
    recent = ArticlePage.objects.live().filter(
        locale__language_code="en", first_published_at__gte=since
    )
    assert 2 <= recent.count() <= 3
    oldest = ArticlePage.objects.live().order_by("first_published_at").first()
    assert oldest.first_published_at < timezone.now() - datetime.timedelta(days=14)


@pytest.mark.django_db
def test_every_demo_image_has_a_credit_and_a_caption(demo_site):
    images = CustomImage.objects.all()
    assert images.count() >= 30
    assert not images.filter(credit="").exists()
    assert not images.filter(caption="").exists()
    assert images.filter(credit="Ledger photo desk").exists()


@pytest.mark.django_db
def test_demo_article_shows_subheading_pull_quote_and_body_image(client, demo_site):
    html = client.get("/news/river-port-strike-enters-third-week/").content.decode()
    assert "What the dockers want" in html
    assert 'class="pull-quote"' in html
    assert "Grain barges wait downstream." in html
    assert html.count("Ledger photo desk") >= 2


@pytest.mark.django_db
def test_demo_embed_is_a_local_thumbnail_and_a_link(client, demo_site):
    html = client.get("/news/northern-crossing-queue-record/").content.decode()
    assert 'href="https://video.example.org/watch/northern-crossing-queue"' in html
    assert "<iframe" not in html
    assert 'src="/media/images/' in html.split('class="embed"')[1].split("</figure>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,title",
    [("/about/", "About us"), ("/ru/about/", "О нас")],
)
def test_about_page_exists_in_both_languages(client, demo_site, url, title):
    response = client.get(url)
    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in response.content.decode()
    assert StandardPage.objects.filter(slug=url.strip("/").split("/")[-1]).count() == 2


@pytest.mark.django_db
def test_load_demo_articles_adds_that_many_generated_articles(demo_site, capsys):
    before = ArticlePage.objects.count()
    call_command("load_demo", articles=7)
    assert ArticlePage.objects.count() == before + 7
    assert ArticlePage.objects.live().filter(slug__startswith="generated-").count() == 7
    call_command("load_demo", articles=3)
    assert ArticlePage.objects.filter(slug__startswith="generated-").count() == 10


@pytest.mark.django_db
def test_load_demo_refuses_a_negative_article_count_and_changes_nothing():
    with pytest.raises(CommandError, match="--articles must be zero or more"):
        call_command("load_demo", articles=-1)
    assert not ArticlePage.objects.exists()


@pytest.mark.django_db
def test_demo_admin_is_made_once_and_printed_with_the_address_it_is_served_on(
        settings, tmp_path, capsys):
    from django.contrib.auth import get_user_model

    settings.VAR_DIR = tmp_path
    call_command("ensure_demo_admin", "--url", "http://127.0.0.1:8011/")
    first = capsys.readouterr().out
    assert f"http://127.0.0.1:8011/{settings.WAGTAIL_ADMIN_PATH}/" in first
    password = first.rsplit("password '", 1)[1].split("'")[0]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    # `make demo` again keeps the account and its password.
    call_command("ensure_demo_admin")
    assert f"password '{password}'" in capsys.readouterr().out
    assert get_user_model().objects.filter(username="admin").count() == 1
