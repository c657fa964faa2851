"""robots.txt and sitemaps: fixed paths that crawlers expect at the root."""

from django.urls import path

from . import robots, sitemaps

urlpatterns = [
    path("robots.txt", robots.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemaps.sitemap, name="sitemap"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
]
