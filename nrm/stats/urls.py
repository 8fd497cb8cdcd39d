from django.urls import path

from nrm.stats import pq_views, views

app_name = "stats"
urlpatterns = [
    path("", views.publications, name="publications"),
    path("feedback", views.feedback_list, name="feedback"),
    path("questions", pq_views.pq_page, name="pq"),
    path("<uuid:publication_id>/", views.publication_detail, name="publication"),
    path("<uuid:publication_id>/files/<path:path>", views.publication_download, name="download"),
]
