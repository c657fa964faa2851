"""Reader-facing pages of this app, language-prefixed (see samizdat/urls.py)."""

from django.urls import path

from . import views

app_name = "newsletters"
urlpatterns = [
    path("newsletters/", views.index, name="index"),
    path("newsletters/confirm/<token:token>/", views.confirm, name="confirm"),
    path("newsletters/unsubscribe/<token:token>/", views.unsubscribe, name="unsubscribe"),
]
