"""A practice's safety settings and crisis resources: managed by its practice admins.

These are operational settings, not clinical content, so the audit trail lists
the fields that changed as usual.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice.models import Membership, Practice, Role
from openipt.practice.roles import roles_for
from openipt.safety.models import CrisisResource, SafetySettings
from openipt.safety.selectors import ON_CALL_ROLES

MAX_DEADLINE_HOURS = 168
MAX_STATEMENT_LENGTH = 1000


def can_manage_safety_settings(roles: frozenset[str]) -> bool:
    return Role.PRACTICE_ADMIN in roles


def _require_admin(actor: User, practice: Practice) -> None:
    if not can_manage_safety_settings(roles_for(actor).in_practice(practice.pk)):
        raise PermissionDenied


def _audit(
    actor: User,
    practice: Practice,
    action: AuditAction,
    what: str,
    public_id: object,
    fields: list[str],
) -> None:
    record(
        actor=actor,
        action=action,
        object_type=what,
        object_public_id=public_id,  # type: ignore[arg-type]
        practice=practice,
        changed_fields=fields,
    )


@transaction.atomic
def safety_settings_update(
    *,
    actor: User,
    practice: Practice,
    ack_deadline_hours: int,
    on_call: Membership | None,
    reply_time_statement: str,
) -> SafetySettings:
    """Change the acknowledgement deadline, the on-call person and the reply-time statement.

    A new deadline applies to alerts raised from now on; alerts already raised
    keep the deadline they were given.
    """
    _require_admin(actor, practice)
    errors: dict[str, str] = {}
    if not 1 <= ack_deadline_hours <= MAX_DEADLINE_HOURS:
        errors["ack_deadline_hours"] = (
            f"Choose a deadline between 1 and {MAX_DEADLINE_HOURS} hours."
        )
    if on_call is not None and not (
        on_call.practice_id == practice.pk and on_call.is_active and on_call.role in ON_CALL_ROLES
    ):
        errors["on_call"] = "Choose an active clinician or supervisor of this practice."
    statement = reply_time_statement.strip()
    if not statement:
        errors["reply_time_statement"] = "Tell clients when messages are read, in plain words."
    elif len(statement) > MAX_STATEMENT_LENGTH:
        errors["reply_time_statement"] = (
            f"Keep the statement under {MAX_STATEMENT_LENGTH} characters."
        )
    if errors:
        raise ValidationError(errors)
    current, _ = SafetySettings.objects.select_for_update().get_or_create(practice=practice)
    new = {
        "ack_deadline_hours": ack_deadline_hours,
        "on_call_id": on_call.pk if on_call else None,
        "reply_time_statement": statement,
    }
    changed = [name for name, value in new.items() if getattr(current, name) != value]
    if changed:
        for name, value in new.items():
            setattr(current, name, value)
        current.save()
        _audit(
            actor,
            practice,
            AuditAction.UPDATE,
            "safety_settings",
            current.public_id,
            [name.removesuffix("_id") for name in changed],
        )
    return current


def _language_codes() -> set[str]:
    return {code for code, _ in django_settings.CLIENT_LANGUAGES}


def _clean_resource(
    *, language: str, name: str, contact: str, description: str, order: int
) -> dict[str, object]:
    errors: dict[str, str] = {}
    if language not in _language_codes():
        errors["language"] = "Choose one of the listed languages."
    if not name.strip():
        errors["name"] = "Give the service's name."
    if not contact.strip():
        errors["contact"] = "Give a phone number, or how to text them."
    if not 0 <= order <= 999:
        errors["order"] = "Use a number from 0 to 999."
    if errors:
        raise ValidationError(errors)
    return {
        "language": language,
        "name": name.strip(),
        "contact": contact.strip(),
        "description": description.strip(),
        "order": order,
    }


@transaction.atomic
def crisis_resource_create(
    *,
    actor: User,
    practice: Practice,
    language: str,
    name: str,
    contact: str,
    description: str = "",
    order: int = 0,
) -> CrisisResource:
    _require_admin(actor, practice)
    values = _clean_resource(
        language=language, name=name, contact=contact, description=description, order=order
    )
    resource = CrisisResource.objects.create(practice=practice, **values)
    _audit(actor, practice, AuditAction.CREATE, "crisis_resource", resource.public_id, list(values))
    return resource


@transaction.atomic
def crisis_resource_update(
    *,
    actor: User,
    resource: CrisisResource,
    language: str,
    name: str,
    contact: str,
    description: str = "",
    order: int = 0,
) -> CrisisResource:
    _require_admin(actor, resource.practice)
    values = _clean_resource(
        language=language, name=name, contact=contact, description=description, order=order
    )
    changed = [key for key, value in values.items() if getattr(resource, key) != value]
    if changed:
        for key, value in values.items():
            setattr(resource, key, value)
        resource.save()
        _audit(
            actor,
            resource.practice,
            AuditAction.UPDATE,
            "crisis_resource",
            resource.public_id,
            changed,
        )
    return resource


@transaction.atomic
def crisis_resource_archive(*, actor: User, resource: CrisisResource) -> CrisisResource:
    """Take a resource off the clients' page; the row is kept, as a record of what was shown."""
    _require_admin(actor, resource.practice)
    if not resource.archived:
        resource.archived = True
        resource.save(update_fields=["archived", "updated_at"])
        _audit(
            actor,
            resource.practice,
            AuditAction.ARCHIVE,
            "crisis_resource",
            resource.public_id,
            ["archived"],
        )
    return resource
