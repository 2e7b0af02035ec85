"""`manage.py messaging_sweep`: send any new-message e-mail still waiting in the outbox.

Run it every minute beside the worker (like `safety_sweep`), e.g. the cron line
`* * * * * cd /srv/openipt && .venv/bin/python manage.py messaging_sweep --quiet`.
It is safe to run as often as you like and while `db_worker` runs: each
e-mail is claimed by one sender at a time.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from openipt.messaging.services import message_notifications_deliver_pending


class Command(BaseCommand):
    help = "Send any new-message e-mail still waiting in the outbox."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="Print nothing unless something went wrong."
        )

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        report = message_notifications_deliver_pending()
        if not quiet:
            # Counts only: no names, addresses or message details in the output.
            self.stdout.write(
                f"Message e-mails sent {report.sent}, to retry {report.retrying}, "
                f"failed {report.failed}, no longer needed {report.cancelled}."
            )
        if report.failed:
            self.stderr.write(f"{report.failed} message e-mail(s) could not be sent.")
