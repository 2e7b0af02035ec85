"""The real worker: an alert is never lost when the process sending its e-mail dies.

These tests commit for real (transactional database) and run `manage.py db_worker`
and `manage.py safety_sweep` as separate processes against the test database.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openipt.safety.models import AlertEventKind, AlertNotification, NotificationStatus, RiskAlert
from tests.safety.helpers import raise_alert
from tests.world import World

REPO_DIR = Path(__file__).resolve().parents[2]
CRASHING = "tests.safety.crashing_backend.EmailBackend"
FILE_BASED = "django.core.mail.backends.filebased.EmailBackend"

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url(db: dict[str, Any]) -> str:
    """The URL of the database this test run is using (the test database, not the real one)."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def _run(
    command: list[str], *, email_backend: str, mail_dir: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.safety.worker_settings",
        "OPENIPT_DATA_DIR": str(settings.DATA_DIR),
        "DATABASE_URL": _database_url(connection.settings_dict),
        "OPENIPT_EMAIL_BACKEND": email_backend,
        "OPENIPT_EMAIL_FILE_PATH": str(mail_dir),
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        [sys.executable, "manage.py", *command],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _worker(*, email_backend: str, mail_dir: Path) -> subprocess.CompletedProcess[str]:
    return _run(
        ["db_worker", "--batch", "--no-startup-delay", "--interval", "0"],
        email_backend=email_backend,
        mail_dir=mail_dir,
    )


def _sweep(*, email_backend: str, mail_dir: Path) -> subprocess.CompletedProcess[str]:
    return _run(["safety_sweep"], email_backend=email_backend, mail_dir=mail_dir)


def _messages_in(mail_dir: Path) -> list[str]:
    """Each message the file-based backend wrote (it separates them with a line of dashes)."""
    if not mail_dir.exists():
        return []
    messages = []
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(chunk)
    return messages


def test_an_alert_survives_a_worker_killed_mid_send_and_is_delivered_exactly_once(
    world: World, tmp_path: Path
) -> None:
    """GIVEN a committed alert with one pending e-mail WHEN the worker process dies in the
    middle of sending it THEN the alert and its pending e-mail are still there (the queued
    task is lost with the worker); a sweep right away does not send it twice while the
    sender's short lease holds; once the lease has run out, the sweep sends it and a later
    worker run sends nothing more: exactly one e-mail, with no name in it."""
    mail_dir = tmp_path / "mail"
    with transaction.atomic():
        alert = raise_alert(world)
    notification = AlertNotification.objects.get(alert=alert)
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_alert_notifications").exists()

    crashed = _worker(email_backend=CRASHING, mail_dir=mail_dir)
    assert crashed.returncode == 1, crashed.stdout + crashed.stderr

    assert RiskAlert.objects.filter(pk=alert.pk).exists()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert notification.sent_at is None
    # The task that was running is stuck for good: only the sweep can rescue the e-mail.
    stuck = DBTaskResult.objects.get(task_path__endswith="deliver_alert_notifications")
    assert stuck.status == "RUNNING"

    too_soon = _sweep(email_backend=FILE_BASED, mail_dir=mail_dir)
    assert too_soon.returncode == 0, too_soon.stderr
    assert _messages_in(mail_dir) == []

    # Time passes beyond the lease (moved on the row, not by sleeping).
    AlertNotification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    swept = _sweep(email_backend=FILE_BASED, mail_dir=mail_dir)
    assert swept.returncode == 0, swept.stderr
    assert "e-mails sent 1" in swept.stdout
    worked = _worker(email_backend=FILE_BASED, mail_dir=mail_dir)
    assert worked.returncode == 0, worked.stdout + worked.stderr

    messages = _messages_in(mail_dir)
    assert len(messages) == 1
    assert f"To: {world.clinician.email}" in messages[0]
    assert "Alice" not in messages[0] and "phq" not in messages[0].lower()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    assert alert.events.filter(kind=AlertEventKind.NOTIFIED).count() == 1


def test_the_worker_delivers_a_new_alert_and_escalates_it_at_its_deadline(
    world: World, tmp_path: Path
) -> None:
    """GIVEN a committed alert WHEN the worker runs THEN its e-mail is sent; WHEN its
    deadline has passed (moved on the rows) and the worker runs again THEN the queued
    deadline task escalates it and the escalation e-mail goes to the supervisor."""
    mail_dir = tmp_path / "mail"
    with transaction.atomic():
        alert = raise_alert(world)
    first = _worker(email_backend=FILE_BASED, mail_dir=mail_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(_messages_in(mail_dir)) == 1

    past = timezone.now() - datetime.timedelta(seconds=1)
    RiskAlert.objects.filter(pk=alert.pk).update(ack_deadline=past)
    DBTaskResult.objects.filter(task_path__endswith="escalate_alert").update(run_after=past)
    second = _worker(email_backend=FILE_BASED, mail_dir=mail_dir)
    assert second.returncode == 0, second.stdout + second.stderr

    alert.refresh_from_db()
    assert alert.status == "escalated"
    messages = _messages_in(mail_dir)
    assert len(messages) == 2
    assert sum(f"To: {world.supervisor.email}" in m for m in messages) == 1
