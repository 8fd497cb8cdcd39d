from django.urls import path

from nrm.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("allocate", views.allocate_bulk, name="allocate_bulk"),
    path("dashboard", views.dashboard, name="dashboard"),
    path("referred", views.referred, name="referred"),
    path("information-requests", views.information_requests, name="information_requests"),
    path("<uuid:case_id>", views.detail, name="detail"),
    path("<uuid:case_id>/allocate", views.allocate, name="allocate"),
    path("<uuid:case_id>/reasonable-grounds", views.rg_decision, name="rg_decision"),
    path("<uuid:case_id>/conclusive-grounds", views.cg_decision, name="cg_decision"),
    path("<uuid:case_id>/information-requests/new", views.rfi_new, name="rfi_new"),
    path("<uuid:case_id>/information-requests/<uuid:request_id>", views.rfi_answer, name="rfi_answer"),
    path("<uuid:case_id>/information-requests/<uuid:request_id>/close", views.rfi_close, name="rfi_close"),
    path("<uuid:case_id>/notes/new", views.note_new, name="note_new"),
    path("<uuid:case_id>/reconsideration", views.reconsideration, name="reconsideration"),
    path("<uuid:case_id>/disqualification-request", views.disqualification_request, name="disqualification_request"),
    path("<uuid:case_id>/disqualification-request/decide", views.disqualification_decide,
         name="disqualification_decide"),
    path("<uuid:case_id>/withdraw", views.withdraw, name="withdraw"),
    path("<uuid:case_id>/suspend", views.suspend, name="suspend"),
    path("<uuid:case_id>/reactivate", views.reactivate, name="reactivate"),
    path("<uuid:case_id>/close", views.close, name="close"),
    path("<uuid:case_id>/representative", views.representative, name="representative"),
    path("<uuid:case_id>/letters/<uuid:letter_id>", views.letter, name="letter"),
    path("<uuid:case_id>/letters/<uuid:letter_id>.pdf", views.letter_pdf, name="letter_pdf"),
    path("<uuid:case_id>/evidence/<uuid:attachment_id>", views.evidence, name="evidence"),
]
