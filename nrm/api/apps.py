from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "nrm.api"
    label = "api"
