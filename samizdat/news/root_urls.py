"""robots.txt and sitemaps: fixed paths that crawlers expect at the root."""

urlpatterns = []
