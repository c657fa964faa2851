"""Generated articles for benchmarks, written in bulk (`load_demo --articles N`).

Publishing one article the usual way (add_child, save_revision().publish()) costs
dozens of queries, signals and a task or two: about one article a second on a busy
machine, hours for a 10,000-article archive. Here a batch of articles is written
with a few multi-row INSERTs instead, with every row the usual way leaves behind
that a reader, the export or an editor needs:

- the page rows, placed in the tree by hand (django-treebeard's materialised path:
  `path`, `depth`, the section's `numchild`), with `url_path`, locale,
  `translation_key`, live and published dates;
- the article rows (multi-table inheritance: same primary key as the page row);
- bylines and tags;
- a revision per page, the live and latest one (the admin edits from it);
- search index entries (Wagtail's database backend) and reference index rows
  (the admin's "usage" of images, authors and tags).

Not written: the admin's history log entries ("created", "published") and the task
worker's jobs; nothing a reader, the export or editing reads.

Optionally every `translate_every`-th article also gets a translation (Russian for an
English article) under the other language's home, same `translation_key`.
"""

import datetime
import random
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from taggit.models import Tag
from wagtail.models import Locale, Page, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backends

from samizdat.images.models import CustomImage

from .models import ArticleAuthor, ArticlePage, ArticleTag, Author, HomePage, SectionPage

PREFIX = "generated-"
WORDS = ("state budget election court river winter archive protest exile theatre "
         "market strike border editor school hospital village factory").split()
WORDS_RU = ("бюджет выборы суд река зима архив протест театр рынок забастовка граница "
            "редактор школа больница деревня завод").split()
STANDFIRST = {"en": "A generated article for load and speed measurements.",
              "ru": "Сгенерированная статья для измерений нагрузки и скорости."}


def _insert(model, objs, fields):
    """INSERT rows of `model`'s own table for `objs`, in batches the database accepts
    (bulk_create refuses a child model of multi-table inheritance)."""
    if not objs:
        return
    size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    manager = model._base_manager
    for start in range(0, len(objs), size):
        manager._insert(objs[start:start + size], fields=fields)


class _Section:
    """Where the next children of a section go in the tree."""

    def __init__(self, section):
        self.page = section
        last = section.get_children().order_by("-path").values_list("path", flat=True).first()
        self.next_step = Page._str2int(last[-Page.steplen:]) + 1 if last else 1
        self.added = 0

    def next_path(self):
        path = Page._get_path(self.page.path, self.page.depth + 1, self.next_step)
        self.next_step += 1
        self.added += 1
        return path


class Generator:
    def __init__(self, language="en", translate_every=0):
        self.ct = ContentType.objects.get_for_model(ArticlePage)
        self.page_ct = ContentType.objects.get_for_model(Page)
        self.locales = {loc.language_code: loc for loc in Locale.objects.all()}
        self.language = language
        self.translate_every = translate_every
        homes = {code: HomePage.objects.filter(locale=loc).order_by("path").first()
                 for code, loc in self.locales.items()}
        self.sections = {}
        for code, home in homes.items():
            if home is not None:
                self.sections[code] = [
                    _Section(s) for s in SectionPage.objects.live().child_of(home).order_by("path")]
        self.authors = list(Author.objects.order_by("slug"))
        self.images = list(CustomImage.objects.order_by("pk"))
        self.tags = {}
        for word in WORDS + WORDS_RU:
            tag = Tag.objects.filter(name=word).first()
            self.tags[word] = tag or Tag.objects.create(name=word)
        self.page_fields = Page._meta.local_concrete_fields
        self.article_fields = ArticlePage._meta.local_concrete_fields

    def _article(self, section, number, rng, words, published_at, language, key):
        title = " ".join(rng.choice(words) for _ in range(6)).capitalize()
        slug = f"{PREFIX}{number}"
        article = ArticlePage(
            title=f"{title} ({number})", draft_title=f"{title} ({number})", slug=slug,
            path=section.next_path(), depth=section.page.depth + 1, numchild=0,
            url_path=f"{section.page.url_path}{slug}/", locale=self.locales[language],
            translation_key=key, content_type=self.ct, live=True,
            has_unpublished_changes=False, first_published_at=published_at,
            last_published_at=published_at, latest_revision_created_at=published_at,
            standfirst=STANDFIRST[language],
            lead_image=self.images[number % len(self.images)] if self.images else None,
            body=[{"type": "paragraph", "value": "<p>" + " ".join(
                rng.choice(words) for _ in range(60)) + ".</p>", "id": str(uuid.uuid4())}
                for _ in range(8)],
        )
        author = self.authors[number % len(self.authors)]
        tags = list(dict.fromkeys(self.tags[rng.choice(words)] for _ in range(2)))
        # Every child relation set in memory: the revision's copy reads them from here.
        article.article_authors = [ArticleAuthor(author=author, sort_order=0)]
        article.tagged_items = [ArticleTag(tag=tag) for tag in tags]
        article.related_links = []
        article.wagtail_admin_comments = []
        return article

    def batch(self, numbers, newest):
        """Write the articles numbered `numbers` (and their translations), number n
        published 37 × n minutes before `newest`; returns the articles."""
        articles = []
        for number in numbers:
            rng = random.Random(number)
            published_at = newest - datetime.timedelta(minutes=37 * number)
            sections = self.sections[self.language]
            key = uuid.uuid4()
            articles.append(self._article(sections[number % len(sections)], number, rng, WORDS,
                                          published_at, self.language, key))
            other = "ru" if self.language == "en" else "en"
            if (self.translate_every and number % self.translate_every == 0
                    and self.sections.get(other)):
                sections = self.sections[other]
                articles.append(self._article(
                    sections[number % len(sections)], number, rng,
                    WORDS_RU if other == "ru" else WORDS, published_at, other, key))
        self._write(articles)
        return articles

    def _write(self, articles):
        pages = [Page(**{f.attname: getattr(a, f.attname) for f in self.page_fields
                         if f.attname != "id"}) for a in articles]
        Page.objects.bulk_create(pages)
        for article, page in zip(articles, pages, strict=True):
            article.pk = article.page_ptr_id = article.id = page.pk
            article._state.adding = False
        _insert(ArticlePage, articles, self.article_fields)

        bylines, tagged = [], []
        for article in articles:
            for link in article.article_authors.all():
                link.page_id = article.pk
                bylines.append(link)
            for item in article.tagged_items.all():
                item.content_object_id = article.pk
                tagged.append(item)
        ArticleAuthor.objects.bulk_create(bylines)
        ArticleTag.objects.bulk_create(tagged)

        revisions = [
            Revision(content_type_id=self.ct.pk, base_content_type_id=self.page_ct.pk,
                     object_id=str(a.pk), created_at=a.first_published_at,
                     content=a.serializable_data(), object_str=a.title)
            for a in articles
        ]
        Revision.objects.bulk_create(revisions)
        for article, revision in zip(articles, revisions, strict=True):
            article.latest_revision_id = article.live_revision_id = revision.pk
        Page.objects.bulk_update(articles, ["latest_revision", "live_revision"])

        for backend in get_search_backends(with_auto_update=True):
            backend.add_bulk(ArticlePage, articles)
        self._reference_index(articles)

    def _reference_index(self, articles):
        rows = []
        for article in articles:
            for to_ct, to_id, model_path, content_path in set(
                    ReferenceIndex._extract_references_from_object(article)):
                rows.append(ReferenceIndex(
                    content_type_id=self.ct.pk, base_content_type_id=self.page_ct.pk,
                    object_id=str(article.pk), to_content_type_id=to_ct, to_object_id=to_id,
                    model_path=model_path, content_path=content_path,
                    content_path_hash=ReferenceIndex._get_content_path_hash(content_path)))
        ReferenceIndex.objects.bulk_create(rows)

    def finish(self):
        """The sections' child counts, as treebeard keeps them."""
        for sections in self.sections.values():
            for section in sections:
                if section.added:
                    Page.objects.filter(pk=section.page.pk).update(
                        numchild=F("numchild") + section.added)
                    section.page.numchild += section.added
                    section.added = 0


def generate_articles(count, newest=None, language="en", translate_every=0, batch=500):
    """Add `count` generated articles after those already there, spread over the
    sections of the `language` home (the demo site must exist: build_demo_site).

    37 minutes apart going back from `newest`; by default that is 40 days ago, before
    the hand-written stories, so the demo's front page stays readable. Each batch is
    one transaction.
    """
    from .signal_handlers import forget_pages

    newest = newest or timezone.now() - datetime.timedelta(days=40)
    start = ArticlePage.objects.filter(slug__startswith=PREFIX,
                                       locale__language_code=language).count()
    generator = Generator(language, translate_every)
    if not generator.sections.get(language):
        raise ValueError(f"no live sections under the {language!r} home")
    for first in range(start, start + count, batch):
        with transaction.atomic():
            generator.batch(range(first, min(first + batch, start + count)), newest)
            generator.finish()
    with transaction.atomic():
        forget_pages()  # cached pages and the per-process copies (loader.py) are stale
    if connection.vendor == "postgresql":
        # Planner statistics for the tables just filled (pages, articles, bylines, tags,
        # revisions, search and reference index), as autovacuum would gather a little
        # later: until then PostgreSQL plans for the nearly empty tables it last saw.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
