"""Machine endpoints of this app at fixed, unprefixed paths (see samizdat/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("appeals/event", views.event, name="appeals_event"),
]
