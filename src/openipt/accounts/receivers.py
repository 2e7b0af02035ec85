"""Audit sign-ins and sign-outs, and stamp the session for the time limits."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from openipt.accounts.middleware import SESSION_LAST_SEEN, SESSION_LOGIN_AT
from openipt.audit.models import AuditAction
from openipt.audit.services import record


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_LOGIN_AT] = now
        request.session[SESSION_LAST_SEEN] = now
    record(actor=user, action=AuditAction.LOGIN, object_type="user", object_public_id=user.public_id)


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(
            actor=user, action=AuditAction.LOGOUT, object_type="user", object_public_id=user.public_id
        )


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # The attempted e-mail address is deliberately not stored: it may belong
    # to nobody, and a log of typed addresses is itself personal data.
    record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="user")


@receiver(authenticator_added)
@receiver(authenticator_removed)
def _on_authenticator_change(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(
        actor=user,
        action=AuditAction.MFA,
        object_type="authenticator",
        object_public_id=user.public_id,
        changed_fields=[str(kwargs.get("authenticator").type) if kwargs.get("authenticator") else "mfa"],
    )
