"""Feeds per language (English unprefixed, Russian under /ru/)."""

urlpatterns = []
