"""robots.txt and sitemaps: fixed paths that crawlers expect at the root."""

from django.urls import path

from . import icons, robots, sitemaps

urlpatterns = [
    path("robots.txt", robots.robots_txt, name="robots_txt"),
    path("favicon.ico", icons.favicon, name="favicon"),
    path("sitemap.xml", sitemaps.sitemap, name="sitemap"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
]
