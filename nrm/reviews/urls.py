from django.urls import path

from nrm.reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.panel_list, name="panel_list"),
    path("panel/<uuid:review_id>", views.panel_review, name="panel_review"),
    path("panel/<uuid:review_id>/papers", views.panel_papers, name="panel_papers"),
    path("panel/<uuid:review_id>/outcome", views.panel_outcome, name="panel_outcome"),
    path("dashboard", views.dashboard, name="dashboard"),
    path("second-line", views.second_line_list, name="second_line_list"),
    path("second-line/<uuid:review_id>", views.second_line_review, name="second_line_review"),
    path("case/<uuid:case_id>", views.case_review, name="case_review"),
]
