from django.urls import path

from nrm.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in", views.sign_in, name="login"),
    path("sign-in/code", views.second_factor, name="second_factor"),
    path("sign-in/set-up-authenticator", views.set_up_second_factor, name="set_up_second_factor"),
    path("sign-out", views.sign_out, name="logout"),
    path("sign-out/timed-out", views.timed_out, name="timed_out"),
    path("sign-in/keepalive", views.keepalive, name="keepalive"),
]
