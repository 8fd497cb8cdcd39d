"""The partner inbox under /inbox/: crime referrals and child safeguarding notifications."""

from django.urls import path

from nrm.referrals import inbox as views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox, name="list"),
    path("<uuid:message_id>", views.message_detail, name="message"),
    path("<uuid:message_id>/acknowledge", views.message_acknowledge, name="acknowledge"),
]
