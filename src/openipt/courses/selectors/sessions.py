"""Reads of sessions, experiments, medication and drafts inside one course.

Every function takes a course that the caller obtained through
`course_get_for_actor` (or `course_get_for_writing`), so the actor's reach has
already been checked; rows are always looked up *within* that course, so an id
from another course is a 404 exactly like a missing one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from openipt.courses.models import (
    Course,
    Experiment,
    ExperimentStatus,
    FocusArea,
    InventoryPerson,
    Medication,
    NoteDraft,
    ProcessNote,
    Session,
)

if TYPE_CHECKING:
    from openipt.accounts.models import User

OPEN_EXPERIMENT_STATUSES = (
    ExperimentStatus.ASSIGNED,
    ExperimentStatus.DONE,
    ExperimentStatus.NOT_DONE,
)


# --- sessions ------------------------------------------------------------------------


def sessions_for_course(*, course: Course) -> QuerySet[Session]:
    """The course's sessions in order, with what the list shows, in one query."""
    return (
        Session.objects.filter(course=course)
        .select_related("recorded_by")
        .annotate(
            has_process_note=Exists(
                ProcessNote.objects.filter(session=OuterRef("pk")).exclude(text="")
            ),
            experiments_assigned=Count("experiments", distinct=True),
            techniques_used=Count("techniques", distinct=True),
        )
        .order_by("number")
    )


def session_get(*, course: Course, public_id: UUID | str) -> Session:
    """One session of this course, or a 404 (also for a session of another course)."""
    try:
        return Session.objects.select_related("recorded_by").get(course=course, public_id=public_id)
    except (Session.DoesNotExist, ValueError) as exc:
        raise Http404("No such session.") from exc


def last_session_number(*, course: Course) -> int:
    number = course.sessions.order_by("-number").values_list("number", flat=True).first()
    return number or 0


def previous_session(*, session: Session) -> Session | None:
    return (
        Session.objects.filter(course_id=session.course_id, number__lt=session.number)
        .order_by("-number")
        .first()
    )


def process_note_for(*, session: Session) -> ProcessNote | None:
    return ProcessNote.objects.filter(session=session).first()


def current_focus_areas(*, course: Course) -> list[FocusArea]:
    """The problem areas the course is working on now (at most two)."""
    return list(
        FocusArea.objects.filter(course=course, ended_at__isnull=True).order_by("created_at")
    )


def inventory_people(*, course: Course) -> list[InventoryPerson]:
    return list(InventoryPerson.objects.filter(course=course, removed_at__isnull=True))


# --- experiments ------------------------------------------------------------------------


def experiments_assigned_in(*, session: Session) -> list[Experiment]:
    return list(
        Experiment.objects.filter(assigned_in=session)
        .select_related("person", "assigned_in", "reviewed_in")
        .order_by("created_at")
    )


def experiments_to_review(*, course: Course, before_number: int) -> list[Experiment]:
    """Experiments agreed before session `before_number` that are still open, plus those
    already reviewed in session `before_number` itself: what the opening of that session
    goes over."""
    return list(
        Experiment.objects.filter(course=course, assigned_in__number__lt=before_number)
        .filter(
            Q(status__in=OPEN_EXPERIMENT_STATUSES)
            | Q(reviewed_in__course=course, reviewed_in__number=before_number)
        )
        .select_related("person", "assigned_in", "reviewed_in")
        .order_by("assigned_in__number", "created_at")
    )


def experiment_get(*, course: Course, public_id: UUID | str) -> Experiment:
    try:
        return Experiment.objects.select_related("assigned_in", "person").get(
            course=course, public_id=public_id
        )
    except (Experiment.DoesNotExist, ValueError) as exc:
        raise Http404("No such experiment.") from exc


# --- medication -----------------------------------------------------------------------


def medications_for_course(*, course: Course) -> list[Medication]:
    """The course's medication with its dose changes (two queries, however many)."""
    return list(
        Medication.objects.filter(course=course)
        .prefetch_related("changes")
        .order_by("start_date", "created_at")
    )


def medication_get(*, course: Course, public_id: UUID | str) -> Medication:
    try:
        return Medication.objects.get(course=course, public_id=public_id)
    except (Medication.DoesNotExist, ValueError) as exc:
        raise Http404("No such medication.") from exc


MedicationEventKind = Literal["start", "change", "stop"]


@dataclass(frozen=True)
class MedicationEvent:
    """One dated medication event, for the course timeline."""

    date: datetime.date
    kind: MedicationEventKind
    medication_public_id: UUID
    agent: str
    dose: str


def medication_events(*, course: Course) -> list[MedicationEvent]:
    """Starts, dose changes and stops of every medication of the course, by date.

    The caller got `course` through a course selector, so the actor may read it.
    """
    events: list[MedicationEvent] = []
    order: dict[MedicationEventKind, int] = {"start": 0, "change": 1, "stop": 2}
    for medication in medications_for_course(course=course):
        events.append(
            MedicationEvent(
                medication.start_date,
                "start",
                medication.public_id,
                medication.agent,
                medication.dose,
            )
        )
        dose = medication.dose
        for change in medication.changes.all():
            dose = change.dose or dose
            events.append(
                MedicationEvent(change.date, "change", medication.public_id, medication.agent, dose)
            )
        if medication.stop_date is not None:
            events.append(
                MedicationEvent(
                    medication.stop_date, "stop", medication.public_id, medication.agent, dose
                )
            )
    events.sort(key=lambda event: (event.date, order[event.kind]))
    return events


# --- drafts ---------------------------------------------------------------------------


def drafts_for(*, actor: User, course: Course, prefix: str) -> dict[str, NoteDraft]:
    """The actor's own drafts whose key starts with `prefix`. Never anyone else's."""
    return {
        draft.key: draft
        for draft in NoteDraft.objects.filter(author=actor, course=course, key__startswith=prefix)
    }
