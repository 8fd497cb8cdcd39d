"""The partner inbox under /inbox/: crime referrals and child safeguarding notifications."""

from django.urls import path

from nrm.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<uuid:message_id>", views.message_detail, name="message"),
    path("<uuid:message_id>/acknowledge", views.message_acknowledge, name="acknowledge"),
]
