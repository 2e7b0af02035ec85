"""E-mail backends that misbehave on purpose, for the delivery tests.

`EmailBackend` kills the whole process in the middle of sending, as a power
cut or an OOM kill would: no exception handler, no cleanup, no commit.
`FailingEmailBackend` raises, as an unreachable SMTP server does.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        os._exit(1)


class FailingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
