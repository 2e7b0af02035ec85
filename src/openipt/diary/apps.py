from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "openipt.diary"
    label = "diary"
    verbose_name = "Mood diary"
