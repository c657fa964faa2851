"""Reader-facing pages of this app, language-prefixed (see samizdat/urls.py)."""

from django.urls import include, path

from . import btcpay_views, views

app_name = "support"

urlpatterns = [
    path("", include("samizdat.support.selfservice_urls")),
    path("support/", views.contribute, name="contribute"),
    path("support/safety/", views.safety, name="safety"),
    path("support/thanks/<reference:reference>/", views.thanks, name="thanks"),
    path("support/thanks/<reference:reference>/manage/", views.thanks_manage,
         name="thanks_manage"),
    path("support/cancel/<reference:reference>/", views.cancel, name="cancel"),
    path("support/bank-transfer/<reference:reference>/", views.bank_transfer, name="bank_transfer"),
    path("support/demo-checkout/<reference:reference>/", views.demo_checkout, name="demo_checkout"),
    path("support/demo-card/<reference:reference>/", views.demo_card_update,
         name="demo_card_update"),
    path("support/pay/<token:token>/", btcpay_views.pay_period, name="btcpay_pay"),
]
