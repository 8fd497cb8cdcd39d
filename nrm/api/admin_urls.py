"""The partner-systems pages of an organisation (API clients and webhooks), under /administration/."""

from django.urls import path

from nrm.api import admin_views as views

app_name = "partner_systems"
urlpatterns = [
    path("", views.clients, name="clients"),
    path("api-clients/new", views.client_new, name="client_new"),
    path("api-clients/<uuid:client_id>/new-token", views.client_rotate, name="client_rotate"),
    path("api-clients/<uuid:client_id>/revoke", views.client_revoke, name="client_revoke"),
    path("webhooks/new", views.webhook_new, name="webhook_new"),
    path("webhooks/<uuid:endpoint_id>/new-secret", views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<uuid:endpoint_id>/remove", views.webhook_remove, name="webhook_remove"),
]
