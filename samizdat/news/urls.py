"""Feeds per language (English unprefixed, Russian under /ru/)."""

from django.urls import path

from . import feeds

app_name = "feeds"

urlpatterns = [
    path("feeds/rss/", feeds.ArticleFeed(), name="feed_rss"),
    path("feeds/atom/", feeds.ArticleAtomFeed(), name="feed_atom"),
    path("feeds/sections/<slug:slug>/rss/", feeds.SectionFeed(), name="section_feed_rss"),
    path("feeds/sections/<slug:slug>/atom/", feeds.SectionAtomFeed(), name="section_feed_atom"),
    path("feeds/authors/<slug:slug>/rss/", feeds.AuthorFeed(), name="author_feed_rss"),
    path("feeds/authors/<slug:slug>/atom/", feeds.AuthorAtomFeed(), name="author_feed_atom"),
]
