"""Promises 4 and 6: sessions end when they should, and ended sessions stay dead."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from openipt.accounts.middleware import (
    LAST_SEEN_RESOLUTION_SECONDS,
    SESSION_LAST_SEEN,
    SESSION_LOGIN_AT,
)
from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.practice.models import Membership, Role
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]

MINUTE = 60.0


def session_key(http: HttpClient) -> str:
    return http.cookies[settings.SESSION_COOKIE_NAME].value


def age_session(http: HttpClient, *, idle: float = 0.0, since_login: float | None = None) -> None:
    """Pretend the last request was `idle` seconds ago and login `since_login` seconds ago."""
    session = http.session
    now = time.time()
    session[SESSION_LAST_SEEN] = now - idle
    session[SESSION_LOGIN_AT] = now - (since_login if since_login is not None else idle)
    session.save()


def assert_signed_out(response: object, http: HttpClient, key: str) -> None:
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"].startswith(reverse("account_login"))  # type: ignore[index]
    assert not Session.objects.filter(session_key=key).exists(), "session row must be deleted"
    assert http.get(reverse("clients:list")).status_code == 302


def test_staff_signed_out_after_15_idle_minutes(world: World, client_for: ClientFor) -> None:
    """GIVEN a clinician whose last request was 16 minutes ago
    WHEN they open the client list THEN they are signed out, the session row is deleted,
    a timeout audit event is written and they are sent to sign in with `next` kept."""
    http = client_for(world.clinician)
    key = session_key(http)
    age_session(http, idle=16 * MINUTE)
    response = http.get(reverse("clients:list") + "?q=Al")
    assert_signed_out(response, http, key)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["next"] == [reverse("clients:list") + "?q=Al"]
    assert AuditEvent.objects.filter(action=AuditAction.TIMEOUT, actor=world.clinician).exists()
    assert b"Alice" not in response.content


def test_staff_active_within_the_limit_stays_signed_in(world: World, client_for: ClientFor) -> None:
    """GIVEN a clinician idle for 14 minutes WHEN they open the client list
    THEN the page opens and the idle clock restarts."""
    http = client_for(world.clinician)
    age_session(http, idle=14 * MINUTE)
    before = time.time()
    response = http.get(reverse("clients:list"))
    assert response.status_code == 200
    assert b"Alice" in response.content
    assert http.session[SESSION_LAST_SEEN] >= before
    assert not AuditEvent.objects.filter(action=AuditAction.TIMEOUT).exists()


def test_idle_clock_is_not_rewritten_on_every_request(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    age_session(http, idle=LAST_SEEN_RESOLUTION_SECONDS / 2)
    stamp = http.session[SESSION_LAST_SEEN]
    assert http.get(reverse("clients:list")).status_code == 200
    assert http.session[SESSION_LAST_SEEN] == stamp


def test_client_keeps_session_at_16_minutes_and_loses_it_after_30(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a client (not staff) WHEN idle 16 minutes THEN still signed in;
    WHEN idle 31 minutes THEN signed out."""
    http = client_for(world.client_user_1)
    age_session(http, idle=16 * MINUTE)
    assert http.get(reverse("portal:home")).status_code == 200

    age_session(http, idle=31 * MINUTE)
    key = session_key(http)
    response = http.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action=AuditAction.TIMEOUT, actor=world.client_user_1).exists()


@override_settings(STAFF_IDLE_MINUTES=5, CLIENT_IDLE_MINUTES=10)
def test_idle_limits_come_from_settings(world: World, client_for: ClientFor) -> None:
    """GIVEN the idle limits set to 5 (staff) and 10 (clients) minutes
    WHEN a clinician idles 6 minutes and a client 11 THEN both are signed out,
    while a client idle 9 minutes is not."""
    staff = client_for(world.clinician)
    age_session(staff, idle=6 * MINUTE)
    assert staff.get(reverse("clients:list"))["Location"].startswith(reverse("account_login"))

    client = client_for(world.client_user_1)
    age_session(client, idle=9 * MINUTE)
    assert client.get(reverse("portal:home")).status_code == 200
    age_session(client, idle=11 * MINUTE)
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("account_login"))


def test_absolute_cap_of_12_hours_even_when_active(world: World, client_for: ClientFor) -> None:
    """GIVEN a clinician active a minute ago but signed in 12 h 1 min ago
    WHEN they make a request THEN they are signed out."""
    http = client_for(world.clinician)
    key = session_key(http)
    age_session(http, idle=MINUTE, since_login=12 * 3600 + MINUTE)
    response = http.get(reverse("clients:list"))
    assert_signed_out(response, http, key)
    assert AuditEvent.objects.filter(action=AuditAction.TIMEOUT, actor=world.clinician).exists()


def test_eleven_hours_of_activity_is_still_allowed(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    age_session(http, idle=MINUTE, since_login=11 * 3600)
    assert http.get(reverse("clients:list")).status_code == 200


@override_settings(SESSION_ABSOLUTE_HOURS=2)
def test_absolute_cap_comes_from_settings(world: World, client_for: ClientFor) -> None:
    http = client_for(world.client_user_1)
    age_session(http, idle=MINUTE, since_login=2 * 3600 + MINUTE)
    assert http.get(reverse("portal:home"))["Location"].startswith(reverse("account_login"))


def test_htmx_request_after_timeout_gets_hx_redirect(world: World, client_for: ClientFor) -> None:
    """GIVEN a timed-out clinician WHEN htmx fetches a fragment THEN the answer is a
    204 with HX-Redirect to the sign-in page, returning to the page in the address bar."""
    http = client_for(world.clinician)
    age_session(http, idle=20 * MINUTE)
    detail = reverse("clients:detail", kwargs={"public_id": world.client_1.public_id})
    response = http.get(
        reverse("clients:list") + "?q=A",
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{detail}"},
    )
    assert response.status_code == 204
    assert response.content == b""
    target = response["HX-Redirect"]
    assert target.startswith(reverse("account_login"))
    assert parse_qs(urlsplit(target).query)["next"] == [detail]


def test_logout_deletes_the_session_server_side(world: World, client_for: ClientFor) -> None:
    """GIVEN a signed-in clinician WHEN they sign out THEN the session row is deleted and a
    copy of the old session cookie no longer opens anything."""
    http = client_for(world.clinician)
    key = session_key(http)
    assert Session.objects.filter(session_key=key).exists()
    response = http.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=world.clinician).exists()

    thief = HttpClient()
    thief.cookies[settings.SESSION_COOKIE_NAME] = key
    response = thief.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_logout_is_post_only(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    key = session_key(http)
    assert http.get(reverse("account_logout")).status_code == 200
    assert Session.objects.filter(session_key=key).exists()


def test_deactivated_user_loses_session_on_next_request(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a signed-in clinician WHEN their account is deactivated THEN the next request is
    refused, the session row is deleted, and reactivating the account does not revive it."""
    http = client_for(world.clinician)
    key = session_key(http)
    assert http.get(reverse("clients:list")).status_code == 200
    User.objects.filter(pk=world.clinician.pk).update(is_active=False)

    response = http.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Session.objects.filter(session_key=key).exists()

    User.objects.filter(pk=world.clinician.pk).update(is_active=True)
    revived = HttpClient()
    revived.cookies[settings.SESSION_COOKIE_NAME] = key
    assert revived.get(reverse("clients:list")).status_code == 302


def test_suspended_membership_removes_access_on_next_request(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician looking at Alice's record WHEN their membership is suspended
    THEN the next request shows neither the list nor the record."""
    http = client_for(world.clinician)
    detail = reverse("clients:detail", kwargs={"public_id": world.client_1.public_id})
    assert http.get(detail).status_code == 200
    Membership.objects.filter(
        user=world.clinician, practice=world.practice_a, role=Role.CLINICIAN
    ).update(is_active=False)

    for url in (reverse("clients:list"), detail):
        response = http.get(url)
        assert response.status_code in (403, 404), url
        assert b"Alice" not in response.content
        assert b"Anders" not in response.content


def test_suspended_client_membership_closes_the_portal(world: World, client_for: ClientFor) -> None:
    http = client_for(world.client_user_1)
    assert http.get(reverse("portal:home")).status_code == 200
    Membership.objects.filter(user=world.client_user_1).update(is_active=False)
    response = http.get(reverse("portal:home"))
    assert response.status_code == 404
    assert b"Alice" not in response.content
