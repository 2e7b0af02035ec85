"""`manage.py safety_sweep`: escalate overdue risk alerts and send waiting alert e-mails.

Run it every minute beside the worker, e.g. a systemd timer with
`OnCalendar=*-*-* *:*:00` or the cron line
`* * * * * cd /srv/openipt && .venv/bin/python manage.py safety_sweep --quiet`.
It is safe to run as often as you like and while `db_worker` runs: an alert is
escalated once, and an e-mail is claimed by one sender at a time.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from openipt.safety.services import safety_sweep_run


class Command(BaseCommand):
    help = "Escalate overdue risk alerts and send any alert e-mail still waiting."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="Print nothing unless something went wrong."
        )

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        report = safety_sweep_run()
        d = report.delivery
        if not quiet:
            # Counts only: no names, addresses or alert details in the output.
            self.stdout.write(
                f"Escalated {report.escalated} alert(s); e-mails sent {d.sent}, "
                f"to retry {d.retrying}, failed {d.failed}, no longer needed {d.cancelled}."
            )
        if d.failed:
            self.stderr.write(f"{d.failed} alert e-mail(s) could not be sent; see the alert pages.")
