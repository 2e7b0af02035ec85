from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "openipt.portal"
    label = "portal"
