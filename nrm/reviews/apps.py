from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "nrm.reviews"
    label = "reviews"

    def ready(self) -> None:
        from nrm.core import hooks
        from nrm.reviews import services

        hooks.negative_decision_proposed.connect(services.on_negative_decision_proposed)
