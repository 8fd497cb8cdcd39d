from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "nrm.notify"
    label = "notify"
