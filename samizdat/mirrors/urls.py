"""Reader-facing pages of this app, language-prefixed (see samizdat/urls.py)."""

urlpatterns = []
