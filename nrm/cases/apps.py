from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "nrm.cases"
    label = "cases"

    def ready(self) -> None:
        from nrm.cases import intake
        from nrm.core import hooks

        hooks.referral_submitted.connect(intake.on_referral_submitted)
