from django.urls import path

from nrm.site import views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("cookies", views.cookies, name="cookies"),
    path("accessibility", views.accessibility, name="accessibility"),
    path("privacy", views.privacy, name="privacy"),
    path("feedback", views.feedback, name="feedback"),
]
