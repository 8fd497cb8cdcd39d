from django.urls import path

from nrm.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("cookies", views.cookies, name="cookies"),
    path("accessibility", views.accessibility, name="accessibility"),
    path("privacy", views.privacy, name="privacy"),
    path("feedback", views.feedback, name="feedback"),
]
