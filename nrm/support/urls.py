from django.urls import path

from nrm.support import views

app_name = "support"
urlpatterns = [
    path("", views.support_list, name="list"),
    path("people/<uuid:referral_id>", views.person, name="person"),
    path("people/<uuid:referral_id>/respond", views.respond, name="respond"),
    path("people/<uuid:referral_id>/support/new", views.episode_new, name="episode_new"),
    path("people/<uuid:referral_id>/support/<uuid:episode_id>/end", views.episode_end, name="episode_end"),
    path("people/<uuid:referral_id>/assessments/new", views.assessment_new, name="assessment_new"),
    path("people/<uuid:referral_id>/end", views.end_support, name="end"),
    path("people/<uuid:referral_id>/reconsideration", views.reconsideration, name="reconsideration"),
]
