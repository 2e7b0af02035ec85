"""The client's private calendar feed: a secret address their calendar app subscribes to.

Why a secret in a URL is acceptable here (the one other place is the
invitation link): calendar apps subscribe to an address and fetch it on their
own, without cookies or a sign-in, so the secret has to be in the address. What
limits the harm if it leaks:
- the feed holds no clinical content: each event says "Appointment with
  <practice>", the time, and where (e.g. "Video call") — nothing about the
  course, the clinician's notes or the client's health;
- the token is 256 random bits, only its SHA-256 digest is stored (a copy of
  the database cannot rebuild the address), and it is looked up by digest, so
  there is nothing to compare byte by byte;
- the client can revoke it at any time (making a new one revokes the old), it
  dies with their portal access, and every fetch is audited and rate-limited.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from openipt.accounts.models import User
from openipt.appointments.models import CalendarFeedToken
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice.models import Client, Role

TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _audit(
    token: CalendarFeedToken, *, actor: User | None, action: AuditAction, fields: list[str]
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="calendar_feed",
        object_public_id=token.public_id,
        practice=token.client.practice,
        subject_client_public_id=token.client.public_id,
        changed_fields=fields,
    )


def _require_own(actor: User, client: Client) -> None:
    if client.user_id is None or client.user_id != actor.pk:
        raise PermissionDenied


def _revoke_live(client: Client, *, actor: User, now: datetime.datetime) -> int:
    revoked = 0
    for token in CalendarFeedToken.objects.select_for_update().filter(
        client=client, revoked_at__isnull=True
    ):
        token.revoked_at = now
        token.save(update_fields=["revoked_at", "updated_at"])
        _audit(token, actor=actor, action=AuditAction.REVOKE, fields=["revoked_at"])
        revoked += 1
    return revoked


@transaction.atomic
def calendar_feed_create(
    *, actor: User, client: Client, now: datetime.datetime | None = None
) -> tuple[CalendarFeedToken, str]:
    """A new feed address for the client; the old one stops working. Returns the raw token once."""
    now = now or timezone.now()
    _require_own(actor, client)
    _revoke_live(client, actor=actor, now=now)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    token = CalendarFeedToken.objects.create(
        client=client, token_digest=token_digest(raw), created_by=actor
    )
    _audit(token, actor=actor, action=AuditAction.CREATE, fields=["token_digest"])
    return token, raw


@transaction.atomic
def calendar_feed_revoke(
    *, actor: User, client: Client, now: datetime.datetime | None = None
) -> int:
    """Stop the client's feed address from working. Returns how many tokens were revoked."""
    _require_own(actor, client)
    return _revoke_live(client, actor=actor, now=now or timezone.now())


@transaction.atomic
def calendar_feed_open(*, token: str, now: datetime.datetime | None = None) -> CalendarFeedToken:
    """The live token behind a feed address, or 404 (unknown, revoked, or access ended).

    A fetch is audited (with no actor: nobody signs in to a feed) and noted on
    the token, so the client can see when their calendar last looked.
    """
    now = now or timezone.now()
    if not token or len(token) > 128:
        raise Http404("No such feed.")
    row = (
        CalendarFeedToken.objects.select_related("client", "client__practice", "client__user")
        .filter(token_digest=token_digest(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not _portal_access_continues(row.client):
        raise Http404("No such feed.")
    row.last_used_at = now
    row.save(update_fields=["last_used_at"])
    _audit(row, actor=None, action=AuditAction.EXPORT, fields=[])
    return row


def _portal_access_continues(client: Client) -> bool:
    """The feed lives only while its client may still sign in to the portal."""
    user = client.user
    if user is None or not user.is_active or client.is_archived:
        return False
    return user.memberships.filter(
        practice_id=client.practice_id, role=Role.CLIENT, is_active=True
    ).exists()
