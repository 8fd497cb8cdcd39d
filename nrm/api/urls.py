"""REST API wiring. Endpoints live in each domain's ``api.py`` and are listed here."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

app_name = "api"
urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="schema"),
]
