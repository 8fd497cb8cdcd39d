"""REST API wiring. Endpoints live in each domain's ``api.py`` and are listed here."""

from django.urls import path

from nrm.api.cases import case_detail, cases_list
from nrm.api.decisions import case_decide
from nrm.api.htcds import htcds_export
from nrm.api.messages import message_acknowledge, message_detail, messages_list
from nrm.api.referrals import questions, referral, referral_submit, referrals
from nrm.api.schema import SchemaView
from nrm.stats.api import questions_api

app_name = "api"
urlpatterns = [
    path("schema", SchemaView.as_view(), name="schema"),
    path("cases", cases_list, name="cases"),
    path("cases/<uuid:case_id>", case_detail, name="case"),
    path("cases/<uuid:case_id>/decisions", case_decide, name="case_decide"),
    path("referrals", referrals, name="referrals"),
    path("referrals/questions", questions, name="referral_questions"),
    path("referrals/<uuid:referral_id>", referral, name="referral"),
    path("referrals/<uuid:referral_id>/submit", referral_submit, name="referral_submit"),
    path("messages", messages_list, name="messages"),
    path("messages/<uuid:message_id>", message_detail, name="message"),
    path("messages/<uuid:message_id>/acknowledge", message_acknowledge, name="message_acknowledge"),
    path("statistics/questions", questions_api, name="stats_questions"),
    path("exports/htcds", htcds_export, name="export_htcds"),
]
