from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "openipt.appointments"
    label = "appointments"
