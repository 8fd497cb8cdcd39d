"""The administration pages (namespace ``administration``), under /administration/. API clients and
webhooks of an organisation have their own pages beside these, in their own domains."""

from django.urls import path

from nrm.accounts import admin_views as views

app_name = "administration"
urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/<slug:slug>", views.organisation, name="organisation"),
    path("organisations/<slug:slug>/change", views.organisation_change, name="organisation_change"),
    path("organisations/<slug:slug>/users/invite", views.user_invite, name="user_invite"),
    path("organisations/<slug:slug>/users/<uuid:user_id>", views.user, name="user"),
    path("organisations/<slug:slug>/users/<uuid:user_id>/roles", views.user_roles, name="user_roles"),
    path("organisations/<slug:slug>/users/<uuid:user_id>/deactivate", views.user_deactivate, name="user_deactivate"),
    path("organisations/<slug:slug>/users/<uuid:user_id>/reactivate", views.user_reactivate, name="user_reactivate"),
    path("organisations/<slug:slug>/users/<uuid:user_id>/reset-authenticator", views.user_authenticator_reset,
         name="user_authenticator_reset"),
    path("organisations/<slug:slug>/users/<uuid:user_id>/unlock", views.user_unlock, name="user_unlock"),
]
