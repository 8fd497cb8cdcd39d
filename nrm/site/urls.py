from django.urls import path

from nrm.site import api_reference, health, views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("cookies", views.cookies, name="cookies"),
    path("accessibility", views.accessibility, name="accessibility"),
    path("privacy", views.privacy, name="privacy"),
    path("feedback", views.feedback, name="feedback"),
    path("developers/api", api_reference.api_reference, name="api_reference"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
]
