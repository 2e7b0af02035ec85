"""Print the current authenticator codes for the demo staff accounts (`make demo-codes`).

Every demo staff account shares the published demo TOTP secret, so one code
serves them all. Like seed_demo, this refuses to run outside demo/debug mode:
it reads recovery codes from the database.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from openipt.core.management.commands.seed_demo import DEMO_STAFF, DEMO_TOTP_SECRET

TOTP_PERIOD_SECONDS = 30


def totp_code(*, at: float, offset: int = 0) -> str:
    counter = int(at) // TOTP_PERIOD_SECONDS + offset
    return str(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter)))


class Command(BaseCommand):
    help = "Print the current TOTP code and recovery codes of the demo staff accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEMO or settings.DEBUG):
            raise CommandError("demo_codes only runs with OPENIPT_DEMO=1 or OPENIPT_DEBUG=1.")
        now = time.time()
        remaining = TOTP_PERIOD_SECONDS - int(now) % TOTP_PERIOD_SECONDS
        self.stdout.write(
            f"Authenticator code for every demo staff account: {totp_code(at=now)} "
            f"(valid for {remaining} more s; next: {totp_code(at=now, offset=1)})"
        )
        self.stdout.write(f"Demo TOTP secret (for an authenticator app): {DEMO_TOTP_SECRET}")
        self.stdout.write("")
        self.stdout.write("Unused recovery codes (each works once, instead of the 6-digit code):")
        emails = [person.email for person in DEMO_STAFF]
        authenticators = {
            a.user.email: a
            for a in Authenticator.objects.filter(
                type=Authenticator.Type.RECOVERY_CODES, user__email__in=emails
            ).select_related("user")
        }
        width = max(len(email) for email in emails)
        for email in emails:
            authenticator = authenticators.get(email)
            if authenticator is None:
                codes = "(none: run `make demo` first)"
            else:
                codes = " ".join(RecoveryCodes(authenticator).get_unused_codes()[:3]) + " …"
            self.stdout.write(f"  {email.ljust(width)}  {codes}")
