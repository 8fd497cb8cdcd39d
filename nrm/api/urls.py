"""REST API wiring. Endpoints live in each domain's ``api.py`` and are listed here."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from nrm.stats.api import questions_api

app_name = "api"
urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("statistics/questions", questions_api, name="stats_questions"),
]
