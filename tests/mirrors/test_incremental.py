"""Exports are deterministic, and an incremental export equals a full one."""

import pytest

from samizdat.mirrors.manifest import walk_files

from .conftest import export

pytestmark = pytest.mark.django_db


def tree(folder):
    return {rel: (folder / rel).read_bytes() for rel in walk_files(folder)}


def assert_same_tree(a, b):
    left, right = tree(a), tree(b)
    assert sorted(left) == sorted(right), set(left) ^ set(right)
    differing = [rel for rel in left if left[rel] != right[rel]]
    assert differing == []


def edit_article(slug, **fields):
    from samizdat.news.models import ArticlePage

    article = ArticlePage.objects.get(slug=slug, locale__language_code="en")
    for name, value in fields.items():
        setattr(article, name, value)
    article.save_revision().publish()
    return article


def test_two_exports_are_byte_identical_and_an_incremental_one_after_an_edit_equals_both(
        demo_site, signing_key, tmp_path):
    """One test, as each full export of the demo takes 15-50 s: two exports of an unchanged
    database are identical; after an article is edited, an incremental export of the first
    equals a full export of the second."""
    full = export(tmp_path / "out")
    export(tmp_path / "reference")
    assert_same_tree(tmp_path / "out", tmp_path / "reference")
    edit_article("court-jails-school-librarian", title="Court jails a librarian (updated)",
                 standfirst="A new standfirst.")
    summary = export(tmp_path / "out", incremental=True)
    assert summary.mode == "incremental"
    assert summary.rendered < full.rendered
    assert summary.written < 40  # the page, its listings, feeds, sitemaps: not the archive
    assert "news/court-jails-school-librarian/index.html" in summary.written_files
    export(tmp_path / "reference")  # over the first: a full export (no incremental=True)
    assert_same_tree(tmp_path / "out", tmp_path / "reference")
    page = (tmp_path / "out/news/court-jails-school-librarian/index.html").read_text()
    assert "Court jails a librarian (updated)" in page


def test_incremental_export_after_publishing_and_unpublishing_equals_a_full_export(
        demo_site, signing_key, tmp_path):
    from samizdat.news.models import ArticleAuthor, ArticlePage, Author, SectionPage

    export(tmp_path / "out")
    section = SectionPage.objects.get(slug="culture", locale__language_code="en")
    article = ArticlePage(title="A brand new story", slug="brand-new-story", standfirst="New.",
                          body=[{"type": "paragraph", "value": "<p>Fresh.</p>"}])
    section.add_child(instance=article)
    article.article_authors = [ArticleAuthor(author=Author.objects.order_by("pk").first())]
    article.tags.set(["theatre"])
    article.save_revision().publish()
    ArticlePage.objects.get(slug="museum-director-dismissed",
                            locale__language_code="en").unpublish()
    export(tmp_path / "out", incremental=True)
    export(tmp_path / "reference")
    assert_same_tree(tmp_path / "out", tmp_path / "reference")
    assert (tmp_path / "out/culture/brand-new-story/index.html").is_file()
    assert not (tmp_path / "out/culture/museum-director-dismissed").exists()
