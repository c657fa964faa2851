"""Machine endpoints of this app at fixed, unprefixed paths (see samizdat/urls.py)."""

from django.urls import include, path

from . import views

app_name = "support_root"

urlpatterns = [
    path("", include("samizdat.support.goal_urls")),
    path("support/webhooks/<alias:alias>/", views.webhook, name="webhook"),
    path("support/staff/transfer/<reference:reference>/", views.staff_transfer_received,
         name="staff_transfer_received"),
    path("support/staff/demo-renewal/<reference:reference>/", views.staff_demo_renewal,
         name="staff_demo_renewal"),
]
