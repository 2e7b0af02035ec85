"""Promise 17: once a save is acknowledged, it survives `kill -9` of the server.

The real server (gunicorn, as in production; `runserver --noreload` if gunicorn
is not installed) runs in its own process group against this run's test
database: a SQLite file in the run's data folder, or the throw-away PostgreSQL
test database in the PostgreSQL run. A questionnaire is submitted over HTTP
with a personal access token; the moment the 201 arrives, the whole server
(master and worker) gets SIGKILL, with no chance to flush or clean up. A new
server is started and must return the questionnaire exactly as acknowledged,
and a retry of the same submission (same Idempotency-Key) must not store a
second one.

Note: killing the process cannot show that data reached the disk platter
(the operating system still holds its page cache); SQLite's synchronous=FULL
and PostgreSQL's fsync cover power loss. What this test does show is that an
acknowledgement is only sent for a committed write.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from openipt.api.services import api_token_create
from openipt.measures.models import MeasureAdministration
from tests.world import World

REPO_DIR = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0
# PHQ-9 answers (item 9, the risk item, is 0): total 1+2+3+0+1+2+3+1+0 = 13.
ANSWERS = dict(zip([f"phq9-{n}" for n in range(1, 10)], [1, 2, 3, 0, 1, 2, 3, 1, 0], strict=True))

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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The app served by a real server process, in a process group of its own."""

    def __init__(self, log_dir: Path, name: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "OPENIPT_DATA_DIR": str(settings.DATA_DIR),
            "DATABASE_URL": _database_url(connection.settings_dict),
            "OPENIPT_LOG_LEVEL": "WARNING",
        }
        if importlib.util.find_spec("gunicorn") is not None:
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "openipt.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "60",
            ]
        else:  # pragma: no cover - gunicorn is a dependency
            command = [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                f"127.0.0.1:{self.port}",
            ]
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                command,
                cwd=REPO_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        pytest.fail(f"the server did not start in time:\n{self.log.read_text()[-3000:]}")

    def request(
        self, method: str, path: str, *, token: str, body: Any = None, key: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode(errors="replace")

    def kill_9(self) -> None:
        # The whole group: the gunicorn master and its worker die at once.
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def test_an_acknowledged_save_survives_kill_9_of_the_server(
    world: World, servers: list[Server], tmp_path: Path
) -> None:
    """GIVEN the real server and a clinician's API token WHEN a questionnaire is submitted
    and the server is killed with SIGKILL the instant the 201 arrives THEN a newly started
    server returns that questionnaire with the acknowledged answers and total, and the
    same submission retried stores nothing new."""
    _row, token = api_token_create(actor=world.clinician, name="kill -9 test")
    course_id = world.course_1.public_id
    key = uuid.uuid4().hex

    first = Server(tmp_path, "first")
    servers.append(first)
    status, created = first.request(
        "POST",
        f"/api/v1/courses/{course_id}/measures",
        token=token,
        body={"instrument": "phq9", "answers": ANSWERS},
        key=key,
    )
    first.kill_9()
    assert status == 201, created
    assert first.process.returncode == -signal.SIGKILL
    assert created["total"] == 13

    second = Server(tmp_path, "second")
    servers.append(second)
    status, stored = second.request("GET", f"/api/v1/measures/{created['id']}", token=token)
    assert status == 200, stored
    assert stored["course_id"] == str(course_id)
    assert stored["instrument"] == "phq9"
    assert stored["answers"] == ANSWERS
    assert stored["total"] == 13
    assert stored["severity"] == created["severity"]

    status, again = second.request(
        "POST",
        f"/api/v1/courses/{course_id}/measures",
        token=token,
        body={"instrument": "phq9", "answers": ANSWERS},
        key=key,
    )
    assert status == 201, again
    assert again["id"] == created["id"]
    assert MeasureAdministration.objects.filter(course=world.course_1).count() == 1
