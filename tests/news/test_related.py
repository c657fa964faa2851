"""'Read more': 3 to 6 related articles, picks first, same language, never itself."""

import datetime

import pytest
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from samizdat.news.models import ArticlePage, ArticleRelatedLink, HomePage, SectionPage
from samizdat.news.querysets import MAX_RELATED
from samizdat.news.roles import ensure_locales


def related_articles(article):
    return ArticlePage.objects.related_to(article)


@pytest.fixture
def tree(db):
    """A home with News and Culture in English, and News in Russian."""
    ensure_locales()
    en, ru = Locale.objects.get(language_code="en"), Locale.objects.get(language_code="ru")
    home = HomePage(title="Ledger", slug="ledger", locale=en)
    Page.get_first_root_node().add_child(instance=home)
    home.save_revision().publish()
    Site.objects.update(root_page=home)
    sections = {}
    for slug in ("news", "culture"):
        section = SectionPage(title=slug.title(), slug=slug)
        home.add_child(instance=section)
        section.save_revision().publish()
        sections[slug] = section
    ru_home = home.copy_for_translation(ru)
    ru_home.save_revision().publish()
    ru_news = sections["news"].copy_for_translation(ru)
    ru_news.save_revision().publish()
    sections["ru-news"] = ru_news
    return sections


def make(section, title, tags=(), hours_ago=0, picks=(), live=True):
    from samizdat.news.models import ArticlePage

    article = ArticlePage(title=title, slug=title.lower().replace(" ", "-"), live=live)
    section.add_child(instance=article)
    article.tags.set(list(tags))
    article.related_links = [ArticleRelatedLink(article=p) for p in picks]
    revision = article.save_revision()
    if live:
        revision.publish()
        when = timezone.now() - datetime.timedelta(hours=hours_ago)
        type(article).objects.filter(pk=article.pk).update(first_published_at=when)
    article.refresh_from_db()
    return article


def titles(articles):
    return [a.title for a in articles]


@pytest.mark.django_db
def test_editor_picks_come_first_in_the_editors_order(tree):
    culture = tree["culture"]
    old_pick = make(culture, "Old pick", hours_ago=500)
    other_pick = make(culture, "Other pick", hours_ago=400)
    make(tree["news"], "Same section newer", hours_ago=1)
    article = make(tree["news"], "Subject", picks=[other_pick, old_pick])
    assert titles(related_articles(article))[:3] == ["Other pick", "Old pick",
                                                     "Same section newer"]


@pytest.mark.django_db
def test_then_articles_sharing_a_tag_or_the_section_newest_first(tree):
    make(tree["culture"], "Shares a tag old", tags=["ports"], hours_ago=50)
    make(tree["culture"], "Shares a tag new", tags=["ports"], hours_ago=2)
    make(tree["news"], "Same section", hours_ago=10)
    make(tree["culture"], "Unrelated", tags=["film"], hours_ago=1)
    article = make(tree["news"], "Subject", tags=["ports"])
    assert titles(related_articles(article)) == ["Shares a tag new", "Same section",
                                                 "Shares a tag old"]


@pytest.mark.django_db
def test_never_offers_the_article_itself_even_when_picked(tree):
    article = make(tree["news"], "Subject", tags=["ports"])
    ArticleRelatedLink.objects.create(page=article, article=article)
    for n in range(4):
        make(tree["news"], f"Neighbour {n}", tags=["ports"], hours_ago=n + 1)
    assert article.pk not in [a.pk for a in related_articles(article)]


@pytest.mark.django_db
def test_only_articles_in_the_same_language(tree):
    russian = make(tree["ru-news"], "Russian on ports", tags=["ports"], hours_ago=1)
    make(tree["news"], "English neighbour", hours_ago=3)
    article = make(tree["news"], "Subject", tags=["ports"], picks=[russian])
    related = related_articles(article)
    assert "Russian on ports" not in titles(related)
    assert {a.locale.language_code for a in related} == {"en"}
    make(tree["ru-news"], "Another Russian", hours_ago=2)
    assert titles(related_articles(russian)) == ["Another Russian"]


@pytest.mark.django_db
def test_unpublished_articles_are_never_offered(tree):
    draft = make(tree["news"], "Draft story", tags=["ports"], live=False)
    article = make(tree["news"], "Subject", tags=["ports"], picks=[draft])
    assert "Draft story" not in titles(related_articles(article))


@pytest.mark.django_db
def test_at_most_six(tree):
    picks = [make(tree["culture"], f"Pick {n}", hours_ago=n + 100) for n in range(4)]
    for n in range(8):
        make(tree["news"], f"Neighbour {n}", tags=["ports"], hours_ago=n + 1)
    article = make(tree["news"], "Subject", tags=["ports"], picks=picks)
    related = related_articles(article)
    assert len(related) == MAX_RELATED == 6
    assert titles(related) == ["Pick 0", "Pick 1", "Pick 2", "Pick 3", "Neighbour 0",
                               "Neighbour 1"]


@pytest.mark.django_db
def test_at_least_three_from_the_newest_when_nothing_is_related(tree):
    for n in range(5):
        make(tree["culture"], f"Culture {n}", tags=["film"], hours_ago=n + 1)
    article = make(tree["news"], "Lonely subject", tags=["ports"])
    assert titles(related_articles(article)) == ["Culture 0", "Culture 1", "Culture 2"]


@pytest.mark.django_db
def test_read_more_appears_on_the_article_page_with_links(client, tree):
    make(tree["news"], "Ferry crossing reopens", tags=["ports"], hours_ago=3)
    make(tree["news"], "Grain barges wait", tags=["ports"], hours_ago=4)
    make(tree["news"], "Ice on the river", hours_ago=5)
    make(tree["news"], "Subject", tags=["ports"])
    html = client.get("/news/subject/").content.decode()
    read_more = html.split('id="read-more-title"')[1]
    assert 'href="/news/ferry-crossing-reopens/"' in read_more
    assert read_more.index("Ferry crossing reopens") < read_more.index("Grain barges wait")
    assert 'href="/news/subject/"' not in read_more
