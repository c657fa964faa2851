"""Reader-facing pages of this app, language-prefixed (see samizdat/urls.py)."""

from django.urls import path

from . import views

app_name = "mirrors"

urlpatterns = [
    path("mirrors/", views.mirror_list, name="index"),
]
