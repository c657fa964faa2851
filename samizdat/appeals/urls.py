"""Reader-facing pages of this app, language-prefixed (see samizdat/urls.py)."""

from django.urls import path

from . import views

app_name = "appeals"
urlpatterns = [
    path("appeals/remind-me-in-<int:days>-days.ics", views.reminder_calendar, name="reminder_ics"),
    path("appeals/remind-me-by-email/<int:days>/", views.email_reminder, name="email_reminder"),
    path("appeals/reminder/<token:token>/cancel/", views.email_reminder_cancel,
         name="email_reminder_cancel"),
]
