"""Settings and headers that the security promises rest on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from openipt.accounts.models import User
from openipt.core.crypto import generate_key
from tests.world import World

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src" / "openipt"

PRODUCTION_ENV = {
    "OPENIPT_SECRET_KEY": "a-very-long-production-secret-key-" + "x" * 40,
    "OPENIPT_ALLOWED_HOSTS": "ipt.example.org",
    "OPENIPT_HTTPS": "true",
    "OPENIPT_ENCRYPTION_KEYS": generate_key(),
    "OPENIPT_CACHE_URL": "locmem://",
    "DJANGO_SETTINGS_MODULE": "openipt.settings",
}


def _run_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIPT_")}
    env.pop("DATABASE_URL", None)
    env["OPENIPT_DATA_DIR"] = str(Path(settings.DATA_DIR) / "subprocess")
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603
        [sys.executable, str(REPO / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = _run_django(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "OPENIPT_SECRET_KEY"}
    result = _run_django(env, "check")
    assert result.returncode != 0
    assert "OPENIPT_SECRET_KEY is required" in result.stderr


def test_production_settings_refuse_to_start_without_allowed_hosts() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "OPENIPT_ALLOWED_HOSTS"}
    result = _run_django(env, "check")
    assert result.returncode != 0
    assert "OPENIPT_ALLOWED_HOSTS is required" in result.stderr


def test_debug_is_off_unless_asked() -> None:
    result = _run_django(
        PRODUCTION_ENV, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)"
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_argon2_is_the_password_hasher() -> None:
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_every_response_carries_the_security_headers(world: World) -> None:
    response = HttpClient().get(reverse("account_login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=False)
def test_hsts_is_sent_over_tls() -> None:
    response = HttpClient().get(reverse("account_login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_with_client_data_are_not_cached(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    response = client_for(world.clinician).get(reverse("clients:list"))
    assert "no-store" in response["Cache-Control"]


def test_error_pages_reveal_nothing_about_the_user(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    response = client_for(world.clinician).get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert world.clinician.full_name not in body
    assert world.clinician.email not in body
    assert "Riverside" not in body


def test_server_error_page_shows_no_exception_details() -> None:
    from openipt.core.views import server_error

    response = server_error(None)  # type: ignore[arg-type]
    assert response.status_code == 500
    assert b"Traceback" not in response.content
    assert b"Something went wrong" in response.content


# Any reference to another origin in markup or styles: src/href/url() with a
# scheme or a protocol-relative "//host" prefix.
_EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//"""
)


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(SRC))
        for p in [*SRC.rglob("*.html"), *SRC.rglob("*.css"), *SRC.rglob("*.js")]
        if "static/vendor" not in str(p)
    ),
)
def test_no_template_or_asset_loads_from_another_origin(path: str) -> None:
    text = (SRC / path).read_text(encoding="utf-8")
    assert not _EXTERNAL.search(text), f"{path} refers to another origin"


def test_no_inline_script_or_style_in_templates() -> None:
    offenders = []
    for template in SRC.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"<style\b", text):
            offenders.append(str(template.relative_to(SRC)))
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r'\sstyle\s*=\s*"', text):
            offenders.append(str(template.relative_to(SRC)))
    assert offenders == []


def test_an_acknowledged_save_survives_power_loss(db: None) -> None:
    """SQLite: WAL journal, synchronous=FULL and immediate write transactions.
    PostgreSQL: fsync and synchronous commit are on (the server's defaults, which we
    never turn off for speed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
            assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        else:
            assert connection.vendor == "postgresql"
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
            cursor.execute("SHOW fsync")
            assert cursor.fetchone()[0] == "on"
