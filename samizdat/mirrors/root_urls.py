"""Machine endpoints of this app at fixed, unprefixed paths (see samizdat/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("mirrors.json", views.mirrors_json, name="mirrors-json"),
    path("mirrors.json.minisig", views.mirrors_json_signature, name="mirrors-json-signature"),
    path("samizdat-mirror.pub", views.public_key, name="mirrors-public-key"),
    path(".well-known/samizdat-mirror.pub", views.public_key, name="mirrors-public-key-wk"),
]
