from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "nrm.audit"
    label = "audit"
