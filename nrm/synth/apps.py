from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "nrm.synth"
    label = "synth"
