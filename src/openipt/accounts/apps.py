from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openipt.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Login/logout audit and session stamps hang off allauth's signals.
        from openipt.accounts import receivers  # noqa: F401
