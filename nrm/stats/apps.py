from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "nrm.stats"
    label = "stats"
