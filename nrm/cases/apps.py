from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "nrm.cases"
    label = "cases"
