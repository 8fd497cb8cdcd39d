from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "nrm.reference"
    label = "reference"
