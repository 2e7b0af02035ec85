"""The audit trail: append-only, hash-chained events.

Events say who did what to which object, and which fields changed, never the
values. Each event stores the hash of the one before it, so editing or
deleting a row breaks the chain and `manage.py audit_verify` finds it.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    ARCHIVE = "archive", "Archived"
    RESTORE = "restore", "Restored"
    EXPORT = "export", "Exported"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Signed out"
    TIMEOUT = "timeout", "Session timed out"
    INVITE = "invite", "Invited"
    REVOKE = "revoke", "Revoked"
    ACCEPT = "accept", "Accepted"
    GRANT = "grant", "Granted access"
    REMOVE = "remove", "Removed access"
    MFA = "mfa", "Changed sign-in security"
    ROTATE_KEYS = "rotate_keys", "Rotated encryption keys"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    """Refuses every bulk write: events are appended one by one by `services.record`."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        # Rows made without `record()` would not be part of the hash chain.
        raise PermissionError("Audit events are written one at a time by record().")


_AuditEventManagerBase = models.Manager.from_queryset(AppendOnlyQuerySet)


class AuditEventManager(_AuditEventManagerBase["AuditEvent"]):
    # Also the base manager (Meta.base_manager_name), so that Django's own
    # `_base_manager` offers no way around the append-only rules.
    use_in_migrations = True


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    practice = models.ForeignKey(
        "practice.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64)
    object_public_id = models.UUIDField(null=True, blank=True)
    # The client whose record the event concerns, so that "who accessed this
    # record" is one indexed query.
    subject_client_public_id = models.UUIDField(null=True, blank=True)
    changed_fields = models.JSONField(default=list)
    request_id = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    event_hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventManager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["practice", "-sequence"]),
            models.Index(fields=["subject_client_public_id", "-sequence"]),
            models.Index(fields=["object_public_id"]),
        ]

    def __str__(self) -> str:
        return f"Audit event {self.sequence}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only: an existing event can never be saved again.
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """A single row holding the tip of the chain; locking it serialises appends."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"Audit chain head at {self.last_sequence}"
