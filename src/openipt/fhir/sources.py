"""Reads that feed the mappers, shared by the per-patient bundle and the bulk export.

Each function takes a queryset the caller has already scoped (to an actor's
reach, or to one practice for the system export) and yields FHIR resources,
walking it with `.iterator(chunk_size=…)` so that memory holds one chunk at a
time whatever the number of rows. Encrypted free-text columns that are never
exported are deferred, so they are not even decrypted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar
from uuid import UUID

from django.db.models import F, QuerySet

from openipt.courses.models import Contract, Course, CourseStatus, FocusArea, Formulation, Session
from openipt.courses.models import Goal as GoalRow
from openipt.courses.models.termination import ProblemReview
from openipt.fhir.mappers import course as course_map
from openipt.fhir.mappers import groups as group_map
from openipt.fhir.mappers import measures as measure_map
from openipt.fhir.mappers import patient as patient_map
from openipt.fhir.mappers import safety as safety_map
from openipt.fhir.mappers import staff as staff_map
from openipt.fhir.mappers.common import Json
from openipt.groups.models import Group, GroupMember
from openipt.measures.engine import Instrument
from openipt.measures.models import MeasureAdministration
from openipt.measures.selectors import UnknownInstrument, instrument_for_practice
from openipt.practice.models import CareTeamMember, Client, Membership, Practice, Role
from openipt.safety.models import UNACKNOWLEDGED, RiskAlert

CHUNK_SIZE = 500

_T = TypeVar("_T")

_SESSION_TEXT = ("interval_history", "mood_event_links", "problem_area_work", "summary")
_FOCUS_TEXT = ("detail", "old_role", "new_role", "end_reason")
_CONTRACT_TEXT = ("notes", "renegotiation_reason")


def _uuid(row: object, name: str) -> UUID:
    value: Any = getattr(row, name)
    return value if isinstance(value, UUID) else UUID(str(value))


def _optional_uuid(row: object, name: str) -> UUID | None:
    value: Any = getattr(row, name)
    return None if value is None else _uuid(row, name)


class InstrumentCache:
    """The practice's instruments (with any licensed text it loaded), read once per code."""

    def __init__(self, practice: Practice) -> None:
        self.practice = practice
        self._by_code: dict[str, Instrument | None] = {}

    def get(self, code: str) -> Instrument | None:
        if code not in self._by_code:
            try:
                self._by_code[code] = instrument_for_practice(self.practice, code)
            except UnknownInstrument:
                self._by_code[code] = None
        return self._by_code[code]

    def used(self) -> list[Instrument]:
        return [i for i in self._by_code.values() if i is not None]


def organization_resources(practice: Practice) -> Iterator[Json]:
    yield patient_map.organization(practice)


def staff_resources(
    memberships: QuerySet[Membership], practice_id: UUID, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[Json]:
    """A Practitioner per person (once) and a PractitionerRole per staff membership."""
    rows = (
        memberships.exclude(role=Role.CLIENT)
        .annotate(fhir_user=F("user__public_id"), fhir_name=F("user__full_name"))
        .order_by("user_id", "id")
    )
    last_user: UUID | None = None
    for row in rows.iterator(chunk_size=chunk_size):
        user_id = _uuid(row, "fhir_user")
        if user_id != last_user:
            last_user = user_id
            yield staff_map.practitioner(user_id=user_id, full_name=str(row.fhir_name))
        yield staff_map.practitioner_role(
            membership_id=row.public_id,
            user_id=user_id,
            practice_id=practice_id,
            role=row.role,
            active=row.is_active,
        )


def batches(rows: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Consecutive lists of `size` rows (the last may be shorter)."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _grouped(rows: Iterable[_T], key: str) -> dict[int, list[_T]]:
    grouped: dict[int, list[_T]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


# Related rows are read per batch with one `…__in` query each and grouped in plain
# dicts, not with prefetch_related: prefetched instances point back at their
# parents, and those reference cycles outlive each chunk until a full garbage
# collection, so memory would grow with the practice after all.


def client_resources(clients: QuerySet[Client], *, chunk_size: int = CHUNK_SIZE) -> Iterator[Json]:
    """Patient and CareTeam for each client."""
    rows = (
        clients.defer("access_needs")
        .annotate(fhir_practice=F("practice__public_id"))
        .order_by("id")
        .iterator(chunk_size=chunk_size)
    )
    for batch in batches(rows, chunk_size):
        team = _grouped(
            CareTeamMember.objects.filter(client_id__in=[c.pk for c in batch])
            .annotate(fhir_user=F("user__public_id"))
            .only("client_id", "role")
            .order_by("role", "id"),
            "client_id",
        )
        for client in batch:
            practice_id = _uuid(client, "fhir_practice")
            yield patient_map.patient(client, practice_id=practice_id)
            members = [
                staff_map.TeamMember(user_id=_uuid(m, "fhir_user"), role=m.role)
                for m in team.get(client.pk, [])
            ]
            yield staff_map.care_team(
                client_id=client.public_id, practice_id=practice_id, members=members
            )


@dataclass
class _CourseParts:
    focus: dict[int, list[FocusArea]]
    goals: dict[int, list[GoalRow]]
    contracts: dict[int, list[Contract]]
    formulations: dict[int, list[Formulation]]
    ratings_now: dict[int, dict[int, int]]


def _course_parts(course_ids: list[int]) -> _CourseParts:
    reviews = (
        ProblemReview.objects.filter(
            review__course_id__in=course_ids, goal__isnull=False, rating_now__isnull=False
        )
        .annotate(fhir_course=F("review__course_id"))
        .only("goal_id", "rating_now")
        .order_by("created_at", "id")
    )
    ratings: dict[int, dict[int, int]] = defaultdict(dict)
    for item in reviews:
        if item.goal_id is not None and item.rating_now is not None:
            ratings[item.fhir_course][item.goal_id] = item.rating_now
    return _CourseParts(
        focus=_grouped(
            FocusArea.objects.filter(course_id__in=course_ids)
            .defer(*_FOCUS_TEXT)
            .order_by("created_at", "id"),
            "course_id",
        ),
        goals=_grouped(
            GoalRow.objects.filter(course_id__in=course_ids).order_by(
                "position", "created_at", "id"
            ),
            "course_id",
        ),
        contracts=_grouped(
            Contract.objects.filter(course_id__in=course_ids)
            .defer(*_CONTRACT_TEXT)
            .order_by("-number"),
            "course_id",
        ),
        formulations=_grouped(
            Formulation.objects.filter(course_id__in=course_ids).order_by("-number"),
            "course_id",
        ),
        ratings_now=ratings,
    )


def course_resources(courses: QuerySet[Course], *, chunk_size: int = CHUNK_SIZE) -> Iterator[Json]:
    """Condition (each problem area), Goal, EpisodeOfCare and CarePlan per course."""
    rows = (
        courses.annotate(
            fhir_client=F("client__public_id"),
            fhir_practice=F("practice__public_id"),
            fhir_labels=F("practice__problem_area_labels"),
        )
        .order_by("id")
        .iterator(chunk_size=chunk_size)
    )
    for batch in batches(rows, chunk_size):
        parts = _course_parts([c.pk for c in batch])
        for course in batch:
            yield from _one_course(course, parts)


def _one_course(course: Course, parts: _CourseParts) -> Iterator[Json]:
    client_id = _uuid(course, "fhir_client")
    labels: Any = getattr(course, "fhir_labels", None)
    focus_rows = parts.focus.get(course.pk, [])
    focus_ids = {f.pk: f.public_id for f in focus_rows}
    for focus in focus_rows:
        yield course_map.condition(
            focus, client_id=client_id, labels=labels if isinstance(labels, dict) else None
        )
    ratings_now = parts.ratings_now.get(course.pk, {})
    closed = course.status == CourseStatus.CLOSED
    goal_rows = parts.goals.get(course.pk, [])
    for row in goal_rows:
        yield course_map.goal(
            row,
            client_id=client_id,
            condition_id=focus_ids.get(row.focus_area_id) if row.focus_area_id else None,
            course_closed=closed,
            rating_now=ratings_now.get(row.pk),
        )
    current = [f.public_id for f in focus_rows if f.ended_at is None]
    yield course_map.episode_of_care(
        course,
        client_id=client_id,
        practice_id=_uuid(course, "fhir_practice"),
        condition_ids=current,
    )
    contracts = parts.contracts.get(course.pk, [])
    formulations = parts.formulations.get(course.pk, [])
    yield course_map.care_plan(
        course,
        client_id=client_id,
        contract=contracts[0] if contracts else None,
        formulation=formulations[0] if formulations else None,
        goal_ids=[g.public_id for g in goal_rows if g.ended_at is None],
        condition_ids=current,
    )


def session_resources(
    sessions: QuerySet[Session], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[Json]:
    rows = (
        sessions.defer(*_SESSION_TEXT)
        .annotate(
            fhir_course=F("course__public_id"),
            fhir_client=F("course__client__public_id"),
            fhir_practice=F("course__practice__public_id"),
            fhir_clinician=F("recorded_by__public_id"),
        )
        .order_by("course_id", "number")
    )
    for session in rows.iterator(chunk_size=chunk_size):
        yield course_map.encounter(
            session,
            course_id=_uuid(session, "fhir_course"),
            client_id=_uuid(session, "fhir_client"),
            practice_id=_uuid(session, "fhir_practice"),
            clinician_id=_optional_uuid(session, "fhir_clinician"),
        )


def measure_resources(
    administrations: QuerySet[MeasureAdministration],
    instruments: InstrumentCache,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Json]:
    """QuestionnaireResponse + Observations for each current (not corrected) administration."""
    rows = (
        administrations.filter(superseded=False)
        .defer("correction_reason")
        .annotate(fhir_client=F("client__public_id"), fhir_session=F("session__public_id"))
        .order_by("id")
    )
    for row in rows.iterator(chunk_size=chunk_size):
        instrument = instruments.get(row.instrument_code)
        if instrument is None:
            continue  # An instrument the practice has since removed: nothing to decode with.
        client_id = _uuid(row, "fhir_client")
        encounter_id = _optional_uuid(row, "fhir_session")
        yield measure_map.questionnaire_response(
            row, instrument, client_id=client_id, encounter_id=encounter_id
        )
        yield from measure_map.observations(
            row, instrument, client_id=client_id, encounter_id=encounter_id
        )


def questionnaire_resources(instruments: Iterable[Instrument]) -> Iterator[Json]:
    for instrument in instruments:
        yield measure_map.questionnaire(instrument)


def flag_resources(alerts: QuerySet[RiskAlert], *, chunk_size: int = CHUNK_SIZE) -> Iterator[Json]:
    rows = (
        alerts.filter(status__in=UNACKNOWLEDGED)
        .defer("action_note")
        .annotate(fhir_client=F("client__public_id"))
        .order_by("id")
    )
    for alert in rows.iterator(chunk_size=chunk_size):
        yield safety_map.flag(alert, client_id=_uuid(alert, "fhir_client"))


def group_resources(
    groups: QuerySet[Group], *, only_client: Client | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[Json]:
    """Each group with its members; with `only_client`, that client is the only member
    listed (a patient's bundle names no other patient)."""
    rows = groups.order_by("id").iterator(chunk_size=chunk_size)
    for batch in batches(rows, chunk_size):
        members = GroupMember.objects.filter(group_id__in=[g.pk for g in batch])
        if only_client is not None:
            members = members.filter(client=only_client)
        by_group = _grouped(
            members.annotate(fhir_client=F("client__public_id"))
            .only("group_id", "enrolled_at", "ended_at")
            .order_by("id"),
            "group_id",
        )
        for row in batch:
            refs = [
                group_map.GroupMemberRef(
                    client_id=_uuid(m, "fhir_client"),
                    enrolled_at=m.enrolled_at,
                    ended_at=m.ended_at,
                )
                for m in by_group.get(row.pk, [])
            ]
            yield group_map.group(row, members=refs, complete=only_client is None)
