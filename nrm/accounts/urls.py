from django.urls import path

from nrm.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in", views.sign_in, name="login"),
    path("sign-in/code", views.second_factor, name="second_factor"),
    path("sign-in/set-up-authenticator", views.set_up_second_factor, name="set_up_second_factor"),
    path("sign-in/set-up-authenticator/<str:token>", views.set_up_second_factor_link,
         name="set_up_second_factor_link"),
    path("sign-in/organisation", views.single_sign_on_start, name="single_sign_on"),
    path("sign-in/organisation/callback", views.single_sign_on_callback, name="single_sign_on_callback"),
    path("sign-in/forgotten-password", views.forgotten_password, name="forgotten_password"),
    path("sign-in/reset-password/<str:token>", views.reset_password, name="reset_password"),
    path("sign-in/set-password/<str:token>", views.set_password, name="set_password"),
    path("account/password", views.change_password, name="change_password"),
    path("account/join/<str:token>", views.join, name="join"),
    path("sign-out", views.sign_out, name="logout"),
    path("sign-out/timed-out", views.timed_out, name="timed_out"),
    path("sign-out/done", views.signed_out, name="signed_out"),
    path("sign-in/keepalive", views.keepalive, name="keepalive"),
]
