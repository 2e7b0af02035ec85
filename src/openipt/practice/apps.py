from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "openipt.practice"
    label = "practice"
