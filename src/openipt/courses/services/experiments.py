"""Interpersonal experiments: agreed in a session, tried between sessions, reviewed next time.

Protocol note §4: classic IPT sets no formal homework, so experiments are
optional; each is tied to the current focus and may name a person from the
inventory. The client's report (what happened, what was said, how it felt)
arrives through the portal; the clinician records the review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from openipt.audit.models import AuditAction
from openipt.courses.models import Experiment, ExperimentStatus, InventoryPerson, Session
from openipt.courses.selectors.sessions import current_focus_areas
from openipt.courses.services.course import _audit, require_writer
from openipt.courses.services.sessions import MAX_TEXT_LENGTH

if TYPE_CHECKING:
    from openipt.accounts.models import User

REVIEW_STATUSES = (ExperimentStatus.DONE, ExperimentStatus.NOT_DONE, ExperimentStatus.REVIEWED)


@transaction.atomic
def experiment_assign(
    *,
    actor: User,
    session: Session,
    description: str,
    problem_area: str = "",
    person: InventoryPerson | None = None,
) -> Experiment:
    """Agree an experiment in `session`, optionally tied to a current focus area and a person."""
    course = session.course
    require_writer(actor, course)
    description = description.strip()
    errors: dict[str, str] = {}
    if not description:
        errors["description"] = "Describe what the client will try."
    elif len(description) > MAX_TEXT_LENGTH:
        errors["description"] = f"Keep this under {MAX_TEXT_LENGTH:,} characters."
    if problem_area and problem_area not in {f.area for f in current_focus_areas(course=course)}:
        errors["problem_area"] = "Link the experiment to one of the current focus areas."
    if person is not None and (person.course_id != course.pk or person.removed_at is not None):
        errors["person"] = "Choose a person from this client's inventory."
    if errors:
        raise ValidationError(errors)
    experiment = Experiment.objects.create(
        course=course,
        assigned_in=session,
        description=description,
        problem_area=problem_area,
        person=person,
    )
    _audit(
        actor,
        course,
        AuditAction.CREATE,
        "experiment",
        ["description"]
        + (["problem_area"] if problem_area else [])
        + (["person"] if person else []),
        experiment.public_id,
    )
    return experiment


@transaction.atomic
def experiment_review(
    *,
    actor: User,
    experiment: Experiment,
    status: str,
    review_note: str = "",
    in_session: Session | None = None,
) -> Experiment:
    """Record how an experiment went: done, not done, or reviewed (talked through in session)."""
    course = experiment.course
    require_writer(actor, course)
    errors: dict[str, str] = {}
    if status not in REVIEW_STATUSES:
        errors["status"] = "Choose done, not done or reviewed."
    review_note = review_note.strip()
    if len(review_note) > MAX_TEXT_LENGTH:
        errors["review_note"] = f"Keep this under {MAX_TEXT_LENGTH:,} characters."
    if in_session is not None and (
        in_session.course_id != course.pk or in_session.number <= experiment.assigned_in.number
    ):
        errors["status"] = "An experiment is reviewed in a later session of the same course."
    if errors:
        raise ValidationError(errors)
    locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
    changed = []
    if locked.status != status:
        locked.status = status
        changed.append("status")
    if locked.review_note != review_note:
        locked.review_note = review_note
        changed.append("review_note")
    if in_session is not None and locked.reviewed_in_id != in_session.pk:
        locked.reviewed_in = in_session
        changed.append("reviewed_in")
    if changed:
        locked.save()
        _audit(actor, course, AuditAction.UPDATE, "experiment", changed, locked.public_id)
    return locked
