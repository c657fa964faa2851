"""The newsroom's content: home, sections, articles and the people who write them."""

from django.conf import settings
from django.db import models
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from .blocks import ArticleBodyBlock
from .cards import KeptUrlParts
from .front import TOP_STORIES
from .listing import page_or_404
from .querysets import ArticlePageManager
from .search import search_articles


class RoutedRestrictionsMixin:
    """A page routed from the loader (routing.py) reads its view restrictions from
    there too, instead of two queries in Wagtail's serve hook."""

    def get_view_restrictions(self):
        if not getattr(self, "_samizdat_routed", False) or self.alias_of_id:
            return super().get_view_restrictions()
        from wagtail.models import PageViewRestriction

        from .loader import restrictions

        rows, aliases = restrictions()
        ancestors = {self.path[:end] for end in range(self.steplen, len(self.path) + 1,
                                                       self.steplen)}
        if ancestors & aliases:
            return super().get_view_restrictions()
        found = [r for path, r in rows if path in ancestors]
        if not found:  # most pages: no query to build
            queryset = PageViewRestriction.objects.none()
            queryset._result_cache = []
            return queryset
        queryset = PageViewRestriction.objects.filter(pk__in=[r.pk for r in found])
        queryset._result_cache = found  # already fetched: iterating runs no query
        return queryset


@register_setting(icon="site")
class OutletSettings(BaseSiteSetting):
    """Who publishes the site: shown in the header, feeds, JSON-LD and receipts."""

    name = models.CharField(_("outlet name"), max_length=120, default="Samizdat Demo")
    tagline = models.CharField(_("tagline"), max_length=255, blank=True)
    tagline_ru = models.CharField(_("tagline in Russian"), max_length=255, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    icon = models.ForeignKey(
        "images.CustomImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("site icon"),
        help_text=_("A square picture, at least 180 × 180 pixels, for browser tabs and phone "
                    "home screens. Without one the site uses the icon it ships with."),
    )

    class Meta:
        verbose_name = _("outlet")

    @classmethod
    def for_request(cls, request):
        """Read once per process (see loader.py), not once per page."""
        attr_name = cls.get_cache_attr_name()
        if not hasattr(request, attr_name):
            from .loader import site_setting

            setattr(request, attr_name, site_setting(request, cls))
        return getattr(request, attr_name)

    def tagline_for(self, language_code):
        if language_code == "ru" and self.tagline_ru:
            return self.tagline_ru
        return self.tagline


@register_snippet
class Author(index.Indexed, models.Model):
    """A byline. May be a pseudonym or "Staff": no personal data is required."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=False)
    role = models.CharField(_("role"), max_length=120, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    bio_ru = models.TextField(_("biography in Russian"), blank=True)
    is_pseudonym = models.BooleanField(_("pseudonym"), default=False)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("role"),
        FieldPanel("bio"),
        FieldPanel("bio_ru"),
        FieldPanel("is_pseudonym"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")

    def __str__(self):
        return self.name

    def bio_for(self, language_code):
        if language_code == "ru" and self.bio_ru:
            return self.bio_ru
        return self.bio


class HomePage(KeptUrlParts, RoutedRestrictionsMixin, RoutablePageMixin, Page):
    """One per language: the front page (front.py) of the lead story, the editor's top
    stories, the latest list and a block per section.

    Author, tag and search pages hang off it as routes so that each
    language gets its own (/authors/x/ and /ru/authors/x/).
    """

    lead_story = models.ForeignKey(
        "news.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead story"),
        help_text=_("Leave empty to lead with the newest article"),
    )

    content_panels = Page.content_panels + [
        PageChooserPanel("lead_story", "news.ArticlePage"),
        InlinePanel("top_stories", label=_("Top stories: editor's picks"), max_num=TOP_STORIES,
                    help_text=_("Shown under the lead story, in this order. Unpublished "
                                "articles are left out.")),
    ]
    subpage_types = ["news.SectionPage", "news.StandardPage"]
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    @classmethod
    def for_request(cls, request, language_code):
        """The live home page of a language for the request's site (see loader.homes)."""
        from .loader import homes

        return homes(request).get(language_code)

    def articles(self):
        return ArticlePage.objects.live().public().descendant_of(self).newest_first()

    @path("")
    def index_route(self, request):
        from .front import front_page
        from .loader import sections

        return self.render(request, context_overrides={
            "front": front_page(self, sections(request, self))})

    @path("authors/<slug:slug>/", name="author")
    @path("authors/<slug:slug>/page/<int:number>/", name="author_page")
    def author_page(self, request, slug, number=1):
        author = get_object_or_404(Author, slug=slug)
        articles = self.articles().by_author(author)
        return self.render(
            request,
            template="news/author_page.html",
            context_overrides={"author": author, "page_obj": page_or_404(articles, number)},
        )

    @path("tags/<str:slug>/", name="tag")
    @path("tags/<str:slug>/page/<int:number>/", name="tag_page")
    def tag_page(self, request, slug, number=1):
        tag = get_object_or_404(Tag, slug=slug)
        articles = self.articles().filter(tags=tag)
        return self.render(
            request,
            template="news/tag_page.html",
            context_overrides={"tag": tag, "page_obj": page_or_404(articles, number)},
        )

    @path("search/")
    def search_page(self, request):
        query = request.GET.get("q", "")
        articles = ArticlePage.objects.live().public().descendant_of(self)
        results = search_articles(articles, query, request.GET.get("page"))
        response = self.render(
            request,
            template="news/search_page.html",
            context_overrides={"query": query, "results": results},
        )
        # A reader's query is theirs: no shared cache (nginx, the page cache) keeps it,
        # where it would sit on disk under the query as its key.
        patch_cache_control(response, private=True, no_store=True)
        return response


class HomePageTopStory(Orderable):
    """An editor's pick for the front page's "Top stories", in the editor's order."""

    page = ParentalKey(HomePage, related_name="top_stories", on_delete=models.CASCADE)
    article = models.ForeignKey("news.ArticlePage", related_name="+", on_delete=models.CASCADE,
                                verbose_name=_("article"))

    panels = [PageChooserPanel("article", "news.ArticlePage")]


class SectionPage(KeptUrlParts, RoutedRestrictionsMixin, RoutablePageMixin, Page):
    """News, Opinion, Business, Culture: a paginated list of articles.

    Pages beyond the first live at /section/page/N/ rather than ?page=N so a
    static mirror can hold every one as a file.
    """

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["news.HomePage"]
    subpage_types = ["news.ArticlePage"]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("section")

    def articles(self):
        return ArticlePage.objects.live().public().child_of(self).newest_first()

    @path("", name="first_page")
    @path("page/<int:number>/", name="numbered_page")
    def listing(self, request, number=1):
        return self.render(
            request, context_overrides={"page_obj": page_or_404(self.articles(), number)}
        )


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "news.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticlePage(KeptUrlParts, RoutedRestrictionsMixin, Page):
    """A story: headline (the page title), standfirst, lead image, body, bylines."""

    standfirst = models.TextField(_("standfirst"), max_length=600, blank=True)
    lead_image = models.ForeignKey(
        "images.CustomImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead image"),
    )
    lead_image_caption = models.CharField(
        _("lead image caption"),
        max_length=500,
        blank=True,
        help_text=_("In this page's language. Leave empty to use the image's own caption "
                    "(only on pages in the site's main language)."),
    )
    lead_image_alt = models.CharField(
        _("lead image alt text"),
        max_length=255,
        blank=True,
        help_text=_("What the picture shows, for readers who cannot see it, in this page's "
                    "language. Leave empty to use the image's own description (only on pages "
                    "in the site's main language)."),
    )
    body = StreamField(ArticleBodyBlock(), verbose_name=_("body"), blank=True)
    tags = ClusterTaggableManager(through=ArticleTag, blank=True, verbose_name=_("tags"))
    updated_at = models.DateTimeField(
        _("last updated"),
        null=True,
        blank=True,
        help_text=_("Set when the story changed in substance after it was first published"),
    )
    no_appeals = models.BooleanField(
        _("no fundraising appeals"),
        default=False,
        help_text=_("Sensitive story: show no appeals (or only a neutral one) on it"),
    )

    content_panels = Page.content_panels + [
        FieldPanel("standfirst"),
        MultiFieldPanel(
            [FieldPanel("lead_image"), FieldPanel("lead_image_caption"),
             FieldPanel("lead_image_alt")],
            heading=_("Lead image"),
        ),
        InlinePanel("article_authors", label=_("Authors"), min_num=1),
        FieldPanel("body"),
        FieldPanel("tags"),
        InlinePanel("related_links", label=_("Read more: editor's picks"), max_num=6),
    ]
    settings_panels = Page.settings_panels + [FieldPanel("updated_at"), FieldPanel("no_appeals")]
    search_fields = Page.search_fields + [
        index.SearchField("standfirst"),
        index.SearchField("body"),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.FilterField("locale_id"),
    ]
    parent_page_types = ["news.SectionPage"]
    subpage_types = []

    objects = ArticlePageManager()

    class Meta:
        verbose_name = _("article")

    @cached_property
    def authors(self):
        links = self.article_authors.all()
        if "article_authors" not in getattr(self, "_prefetched_objects_cache", {}):
            # One query for any number of bylines (lists prefetch them instead).
            links = links.select_related("author")
        return [link.author for link in links]

    @property
    def section(self):
        return self.get_parent().specific

    @property
    def published(self):
        return self.first_published_at or self.latest_revision_created_at

    @property
    def modified(self):
        return max(d for d in (self.updated_at, self.published) if d is not None)

    @property
    def uses_image_text(self):
        """The image library's captions and descriptions are written in the site's main
        language: a translation says its own or nothing, never another language's."""
        if self.lead_image is None:
            return False
        # The page's own locale when it was read with it; else the language being served,
        # which is the page's (URL prefix): a feed of twenty items reads no twenty locales.
        locale = self._state.fields_cache.get("locale")
        language = locale.language_code if locale is not None else get_language()
        return language == settings.LANGUAGE_CODE

    @property
    def caption(self):
        if self.lead_image_caption:
            return self.lead_image_caption
        return self.lead_image.caption if self.uses_image_text else ""

    @property
    def lead_image_alt_text(self):
        if self.lead_image_alt:
            return self.lead_image_alt
        return self.lead_image.default_alt_text if self.uses_image_text else ""

    def get_context(self, request, *args, **kwargs):
        # The byline, the metadata, the appeals and the related articles all read
        # the tags and authors: fetch each once, however many there are.
        # (The bylines come with the related articles' own, in one query.)
        from .cards import prefetch_tags, related_cards

        if not prefetch_tags(request, self):
            prefetch_related_objects([self], "tags")
        related = related_cards(request, self)
        context = super().get_context(request, *args, **kwargs)
        context["related"] = related
        return context


class ArticleAuthor(Orderable):
    page = ParentalKey(ArticlePage, related_name="article_authors", on_delete=models.CASCADE)
    author = models.ForeignKey(Author, related_name="article_links", on_delete=models.PROTECT)

    panels = [FieldPanel("author")]


class ArticleRelatedLink(Orderable):
    """An editor's pick for "Read more", shown before the automatic ones."""

    page = ParentalKey(ArticlePage, related_name="related_links", on_delete=models.CASCADE)
    article = models.ForeignKey(ArticlePage, related_name="+", on_delete=models.CASCADE)

    panels = [PageChooserPanel("article", "news.ArticlePage")]


class StandardPage(Page):
    """About, privacy, corrections: plain text pages under the home page."""

    body = StreamField(ArticleBodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["news.HomePage"]
    subpage_types = []
    search_fields = Page.search_fields + [index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


class WorkerHeartbeat(models.Model):
    """When each task worker last said it was alive (news/worker.py).

    A task RUNNING under a worker whose heartbeat is older than the lease has lost
    its worker (killed, host gone): another worker puts it back in the queue, or
    marks it failed if running it twice is not safe.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("task worker heartbeat")

    def __str__(self):
        return self.worker_id
