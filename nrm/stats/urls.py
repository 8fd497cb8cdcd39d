from django.urls import path

from nrm.stats import questions_views, views

app_name = "stats"
urlpatterns = [
    path("", views.publications, name="publications"),
    path("feedback", views.feedback_list, name="feedback"),
    path("questions", questions_views.questions_page, name="questions"),
    path("<uuid:publication_id>/", views.publication_detail, name="publication"),
    path("<uuid:publication_id>/files/<path:path>", views.publication_download, name="download"),
]
