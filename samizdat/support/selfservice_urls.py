"""'Manage my support' and receipt pages, language-prefixed (included by support/urls.py)."""

from django.urls import path

from . import donordata_views, selfservice_payment_views
from . import selfservice_views as views

urlpatterns = [
    path("support/manage/", views.manage, name="manage"),
    path("support/manage/sent/", views.manage_sent, name="manage_sent"),
    path("support/manage/link/<token:token>/", views.manage_enter, name="manage_enter"),
    path("support/manage/account/", views.manage_account, name="manage_account"),
    path("support/manage/pledges/<int:pk>/", views.pledge_change, name="pledge_change"),
    path("support/manage/pledges/<int:pk>/cancel/", views.pledge_cancel, name="pledge_cancel"),
    path("support/manage/pledges/<int:pk>/btcpay/", views.pledge_btcpay_portal,
         name="pledge_btcpay_portal"),
    path("support/manage/receipts/<int:pk>/", views.manage_receipt, name="manage_receipt"),
    path(
        "support/manage/receipts/<int:pk>/send/",
        views.manage_receipt_send,
        name="manage_receipt_send",
    ),
    path("support/manage/emails/", views.manage_emails, name="manage_emails"),
    path("support/manage/sign-out/", views.manage_sign_out, name="manage_sign_out"),
    path(
        "support/manage/my-data.json",
        donordata_views.data_download,
        name="manage_data_download",
    ),
    path("support/manage/delete/", donordata_views.data_delete, name="manage_data_delete"),
    path("support/manage/deleted/", donordata_views.data_deleted, name="manage_deleted"),
    path("support/receipts/<token:token>/", views.receipt, name="receipt"),
    path("support/payment/<token:token>/", selfservice_payment_views.payment_update,
         name="payment_update"),
]
