"""The funding goal's machine endpoint at a fixed path (included by support/root_urls.py)."""

from django.urls import path

from .goal_views import funding_json

urlpatterns = [
    path("funding.json", funding_json, name="funding_json"),
]
