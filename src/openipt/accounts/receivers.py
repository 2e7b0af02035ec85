"""Audit sign-ins, sign-outs and second-factor changes; stamp the session for the time limits."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
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
    record(
        actor=user, action=AuditAction.LOGIN, object_type="user", object_public_id=user.public_id
    )


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(
            actor=user,
            action=AuditAction.LOGOUT,
            object_type="user",
            object_public_id=user.public_id,
        )


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # The attempted e-mail address is deliberately not stored: it may belong
    # to nobody, and a log of typed addresses is itself personal data.
    record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="user")


@receiver(authentication_failed)
def _on_second_factor_failed(sender: Any, user: Any, **kwargs: Any) -> None:
    # The password was right but the code was not: worth seeing in the trail,
    # since it means someone may know this person's password. Nobody is
    # signed in yet, so there is no actor; the account is the object.
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="user",
        object_public_id=user.public_id,
        changed_fields=["mfa"],
    )


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _on_authenticator_change(sender: Any, user: Any, **kwargs: Any) -> None:
    authenticator = kwargs.get("authenticator")
    record(
        actor=user,
        action=AuditAction.MFA,
        object_type="authenticator",
        object_public_id=user.public_id,
        changed_fields=[str(authenticator.type) if authenticator is not None else "mfa"],
    )
