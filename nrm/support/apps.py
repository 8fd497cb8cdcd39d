from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "nrm.support"
    label = "support"
