"""Create a personal access token for a staff account and print it once.

For server operators and the demo script (docs/api.md). Whoever can run
manage.py already holds the database and its keys; the token is still made by
the same service as the settings page, audited, and stored only as a digest.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from openipt.accounts.models import User
from openipt.api.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a staff account and print it (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The staff account's e-mail.")
        parser.add_argument("--name", required=True, help="What will use the token.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it stops working."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(email__iexact=options["email"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError("No active account with that e-mail.") from exc
        days = options["expires_days"]
        expires_at = None if days is None else timezone.now() + datetime.timedelta(days=days)
        try:
            _row, token = api_token_create(actor=user, name=options["name"], expires_at=expires_at)
        except PermissionDenied as exc:
            raise CommandError("Only staff accounts can have API tokens.") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(token)
