from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "nrm.reviews"
    label = "reviews"
