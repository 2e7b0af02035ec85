from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "openipt.measures"
    label = "measures"
