"""Machine endpoints of this app at fixed, unprefixed paths (see samizdat/urls.py)."""

urlpatterns = []
