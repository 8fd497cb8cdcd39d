"""Referral pages under /referrals/. Every path that takes an id names it by what it is
(``referral_id``, ``attachment_id``, ...): the access test fills them in by name, so a new
page cannot escape it."""

from django.urls import path

from nrm.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("start", views.referral_start, name="start"),
    path("duty-to-notify/sent", views.duty_to_notify_sent, name="dtn_sent"),
    path("requests/new", views.concern_new, name="concern_new"),
    path("requests/sent", views.concern_sent, name="concern_sent"),
    path("requests/", views.concern_inbox, name="concern_inbox"),
    path("requests/<uuid:concern_id>", views.concern_detail, name="concern_detail"),
    path("requests/<uuid:concern_id>/start-referral", views.concern_start_referral, name="concern_start_referral"),
    path("requests/<uuid:concern_id>/close", views.concern_close, name="concern_close"),
    path("invitations/<uuid:token>", views.invitation_open, name="invitation"),
    path("<uuid:referral_id>/", views.referral_resume, name="resume"),
    path("<uuid:referral_id>/check", views.referral_check, name="check"),
    path("<uuid:referral_id>/tasks", views.referral_tasks, name="tasks"),
    path("<uuid:referral_id>/submit", views.referral_submit, name="submit"),
    path("<uuid:referral_id>/sent", views.referral_confirmation, name="confirmation"),
    path("<uuid:referral_id>/copy", views.referral_copy, name="copy"),
    path("<uuid:referral_id>/delete", views.referral_delete, name="delete"),
    path("<uuid:referral_id>/contributors", views.referral_contributors, name="contributors"),
    path("<uuid:referral_id>/contributors/<uuid:invitation_id>/withdraw", views.invitation_withdraw,
         name="invitation_withdraw"),
    path("<uuid:referral_id>/contribute", views.referral_contribute, name="contribute"),
    path("<uuid:referral_id>/evidence/<uuid:attachment_id>", views.attachment_download, name="attachment"),
    path("<uuid:referral_id>/evidence/<uuid:attachment_id>/remove", views.attachment_remove,
         name="attachment_remove"),
    path("<uuid:referral_id>/<slug:step>", views.referral_step, name="step"),
]
