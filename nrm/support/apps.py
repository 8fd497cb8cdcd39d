from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "nrm.support"
    label = "support"

    def ready(self) -> None:
        from nrm.core import hooks
        from nrm.support import services

        hooks.decision_served.connect(services.on_decision_served)
        hooks.case_ended.connect(services.on_case_ended)
