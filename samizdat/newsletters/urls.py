"""Reader-facing pages of this app, language-prefixed (see samizdat/urls.py)."""

from django.urls import path

from . import archive, manage_views, views

app_name = "newsletters"
urlpatterns = [
    path("newsletters/", views.index, name="index"),
    path("newsletters/confirm/<token:token>/", views.confirm, name="confirm"),
    path("newsletters/unsubscribe/<token:token>/", views.unsubscribe, name="unsubscribe"),
    path("newsletters/manage/", manage_views.manage, name="manage"),
    path("newsletters/manage/sent/", manage_views.manage_sent, name="manage_sent"),
    path("newsletters/manage/save/", manage_views.manage_save, name="manage_save"),
    # The archive's routes take any slug: keep them after every fixed path above
    # (models.RESERVED_SLUGS lists those words, so no newsletter can shadow them).
    path("newsletters/<slug:slug>/", archive.archive, name="archive"),
    path("newsletters/<slug:slug>/<int:pk>/", archive.archive_issue, name="archive_issue"),
    path("newsletters/<slug:slug>/rss/", archive.IssueFeed(), name="archive_rss"),
    path("newsletters/<slug:slug>/atom/", archive.IssueAtomFeed(), name="archive_atom"),
]
