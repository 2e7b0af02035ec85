"""`manage.py appointments_sweep`: send every appointment e-mail that is due and still waiting.

Run it every few minutes beside the worker, e.g. the cron line
`*/5 * * * * cd /srv/openipt && .venv/bin/python manage.py appointments_sweep --quiet`
or a systemd timer. It is safe to run as often as you like and while `db_worker`
runs: each e-mail is claimed by one sender at a time.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from openipt.appointments.services import appointment_notifications_deliver


class Command(BaseCommand):
    help = "Send appointment reminders and notices that are due and still waiting."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="Print nothing unless something went wrong."
        )

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        report = appointment_notifications_deliver()
        if not quiet:
            # Counts only: no names, addresses or dates in the output.
            self.stdout.write(
                f"Appointment e-mails sent {report.sent}, to retry {report.retrying}, "
                f"failed {report.failed}, no longer needed {report.cancelled}."
            )
        if report.failed:
            self.stderr.write(f"{report.failed} appointment e-mail(s) could not be sent.")
