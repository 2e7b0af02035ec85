"""Supervision writes: fidelity ratings, supervision notes, supervisor assignments.

Who may do what:
- a session's own facilitator (holding the facilitator role at the site) rates
  the session's fidelity as "self"; a supervisor of that facilitator (active
  assignment and supervisor role at the site) rates it as "supervisor". One
  rating per kind per session: rating again changes it (and is audited);
- a supervisor writes notes about a facilitator they supervise, optionally
  about one of that facilitator's groups (encrypted at rest);
- the site's practice admin assigns supervisors to facilitators and ends
  assignments (ending one ends the supervisor's access at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.models import (
    FidelityRater,
    FidelityRating,
    GroupSessionStatus,
    SupervisionAssignment,
    SupervisionNote,
)
from openipt.practice.models import Membership, Role
from openipt.practice.roles import roles_for
from openipt.protocol.group import FIDELITY_SCALE

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.groups.models import Group, GroupSession
    from openipt.practice.models import Practice

MAX_COMMENT_LENGTH = 2000
MAX_NOTE_LENGTH = 10000
ASSIGNMENT = "group_supervision_assignment"


def supervises(*, actor: User, facilitator: User | int, practice: Practice | int) -> bool:
    """Whether the actor, as a supervisor at the site, has an active assignment to `facilitator`."""
    practice_id = practice if isinstance(practice, int) else practice.pk
    facilitator_id = facilitator if isinstance(facilitator, int) else facilitator.pk
    if Role.SUPERVISOR not in roles_for(actor).in_practice(practice_id):
        return False
    return SupervisionAssignment.objects.filter(
        practice_id=practice_id, supervisor=actor, facilitator_id=facilitator_id, is_active=True
    ).exists()


def rater_for(*, actor: User, session: GroupSession) -> str | None:
    """The kind of fidelity rating the actor may give `session` ("self", "supervisor") or None."""
    group = session.group
    if group.facilitator_id == actor.pk and Role.FACILITATOR in roles_for(actor).in_practice(
        group.practice_id
    ):
        return FidelityRater.SELF
    if supervises(actor=actor, facilitator=group.facilitator_id, practice=group.practice_id):
        return FidelityRater.SUPERVISOR
    return None


def _audit(
    actor: User,
    action: AuditAction,
    what: str,
    obj: FidelityRating | SupervisionNote | SupervisionAssignment,
    practice: Practice | None,
    fields: list[str],
) -> None:
    record(
        actor=actor,
        action=action,
        object_type=what,
        object_public_id=obj.public_id,
        practice=practice,
        changed_fields=fields,
    )


@transaction.atomic
def fidelity_rate(
    *, actor: User, session: GroupSession, rater: str, score: int, comment: str = ""
) -> FidelityRating:
    """Record (or change) the actor's fidelity rating of a held session, 1 to 5."""
    if rater not in FidelityRater.values:
        raise ValidationError({"rater": "Choose a self-rating or a supervisor's rating."})
    if rater_for(actor=actor, session=session) != rater:
        raise PermissionDenied
    errors: dict[str, str] = {}
    low, high = FIDELITY_SCALE
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        errors["score"] = f"Choose a rating from {low} to {high}."
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        errors["comment"] = f"Keep the comment under {MAX_COMMENT_LENGTH} characters."
    if session.status != GroupSessionStatus.HELD:
        errors["score"] = "Only a session that was held can be rated."
    if errors:
        raise ValidationError(errors)
    practice = session.group.practice
    current = (
        FidelityRating.objects.select_for_update().filter(session=session, rater=rater).first()
    )
    if current is None:
        rating = FidelityRating.objects.create(
            session=session, rater=rater, rated_by=actor, score=score, comment=text
        )
        fields = ["score"] + (["comment"] if text else [])
        _audit(actor, AuditAction.CREATE, "group_fidelity_rating", rating, practice, fields)
        return rating
    changed = [
        name
        for name, new in (("score", score), ("comment", text), ("rated_by", actor.pk))
        if getattr(current, "rated_by_id" if name == "rated_by" else name) != new
    ]
    if changed:
        current.score, current.comment, current.rated_by = score, text, actor
        current.save()
        _audit(actor, AuditAction.UPDATE, "group_fidelity_rating", current, practice, changed)
    return current


@transaction.atomic
def supervision_note_add(
    *,
    actor: User,
    facilitator: User,
    practice: Practice,
    text: str,
    group: Group | None = None,
) -> SupervisionNote:
    """A supervisor's note about a facilitator they supervise (optionally about one group)."""
    if not supervises(actor=actor, facilitator=facilitator, practice=practice):
        raise PermissionDenied
    errors: dict[str, str] = {}
    body = (text or "").strip()
    if not body:
        errors["text"] = "Write the note first."
    elif len(body) > MAX_NOTE_LENGTH:
        errors["text"] = f"Keep the note under {MAX_NOTE_LENGTH} characters."
    if group is not None and (
        group.facilitator_id != facilitator.pk or group.practice_id != practice.pk
    ):
        errors["group"] = "Choose one of this facilitator's groups at this site."
    if errors:
        raise ValidationError(errors)
    note = SupervisionNote.objects.create(
        practice=practice, supervisor=actor, facilitator=facilitator, group=group, text=body
    )
    fields = ["text"] + (["group"] if group is not None else [])
    _audit(actor, AuditAction.CREATE, "group_supervision_note", note, practice, fields)
    return note


def _require_admin(actor: User, practice: Practice) -> None:
    if Role.PRACTICE_ADMIN not in roles_for(actor).in_practice(practice.pk):
        raise PermissionDenied


def _holds(user: User, practice: Practice, role: Role) -> bool:
    return Membership.objects.filter(
        user=user, practice=practice, role=role, is_active=True, user__is_active=True
    ).exists()


@transaction.atomic
def supervision_assign(
    *, actor: User, practice: Practice, supervisor: User, facilitator: User
) -> SupervisionAssignment:
    """Make `supervisor` the supervisor of `facilitator` at the site (again, if it had ended).

    Assigning twice is harmless: the active assignment is returned unchanged.
    """
    _require_admin(actor, practice)
    errors: dict[str, str] = {}
    if not _holds(supervisor, practice, Role.SUPERVISOR):
        errors["supervisor"] = "Choose someone who holds an active supervisor role here."
    if not _holds(facilitator, practice, Role.FACILITATOR):
        errors["facilitator"] = "Choose someone who holds an active facilitator role here."
    if supervisor.pk == facilitator.pk:
        errors["supervisor"] = "A facilitator cannot supervise their own work."
    if errors:
        raise ValidationError(errors)
    assignment, created = SupervisionAssignment.objects.select_for_update().get_or_create(
        practice=practice, supervisor=supervisor, facilitator=facilitator
    )
    if created:
        fields = ["supervisor", "facilitator", "is_active"]
    elif not assignment.is_active:
        assignment.is_active = True
        assignment.save(update_fields=["is_active", "updated_at"])
        fields = ["is_active"]
    else:
        return assignment
    _audit(actor, AuditAction.GRANT, ASSIGNMENT, assignment, practice, fields)
    return assignment


@transaction.atomic
def supervision_unassign(
    *, actor: User, practice: Practice, supervisor: User, facilitator: User
) -> SupervisionAssignment:
    """End an assignment: the supervisor loses access to the facilitator's work at once.

    Ending an assignment that has already ended changes nothing.
    """
    _require_admin(actor, practice)
    assignment = (
        SupervisionAssignment.objects.select_for_update()
        .filter(practice=practice, supervisor=supervisor, facilitator=facilitator)
        .first()
    )
    if assignment is None:
        raise ValidationError({"facilitator": "This supervisor does not supervise them here."})
    if assignment.is_active:
        assignment.is_active = False
        assignment.save(update_fields=["is_active", "updated_at"])
        fields = ["is_active"]
        _audit(actor, AuditAction.REMOVE, ASSIGNMENT, assignment, practice, fields)
    return assignment
