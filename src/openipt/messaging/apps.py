from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "openipt.messaging"
    label = "messaging"
    verbose_name = "Secure messages"
