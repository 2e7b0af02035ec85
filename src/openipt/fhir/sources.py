"""Reads that feed the mappers, shared by the per-patient bundle and the bulk export.

Each function takes a queryset the caller has already scoped (to an actor's
reach, or to one practice for the system export) and yields FHIR resources,
walking it with `.iterator(chunk_size=…)` so that memory holds one chunk at a
time whatever the number of rows. Encrypted free-text columns that are never
exported are deferred, so they are not even decrypted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
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
from openipt.groups.models import (
    Attendance,
    Group,
    GroupMember,
    GroupSession,
    GroupSessionStatus,
    MemberScore,
)
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
_MEMBER_TEXT = ("pre_group_symptoms", "pre_group_onset", "pre_group_hopes", "drop_reason")


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
        answered = measure_map.from_administration(row)
        yield measure_map.questionnaire_response(
            answered, instrument, client_id=client_id, encounter_id=encounter_id
        )
        yield from measure_map.observations(
            answered, instrument, client_id=client_id, encounter_id=encounter_id
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


# --- group sessions and members' scores ----------------------------------------------------


def _session_columns(prefix: str) -> dict[str, F]:
    """The group session's columns an Encounter needs, as annotations read through
    `prefix` (`""` on a GroupSession, `"session__"` on an Attendance row)."""
    return {
        "fhir_session": F(f"{prefix}public_id"),
        "fhir_number": F(f"{prefix}number"),
        "fhir_held_on": F(f"{prefix}held_on"),
        "fhir_status": F(f"{prefix}status"),
        "fhir_group": F(f"{prefix}group__public_id"),
        "fhir_group_pk": F(f"{prefix}group_id"),
        "fhir_initial": F(f"{prefix}group__initial_last"),
        "fhir_middle": F(f"{prefix}group__middle_last"),
        "fhir_practice": F(f"{prefix}group__practice__public_id"),
        "fhir_recorder": F(f"{prefix}recorded_by__public_id"),
    }


def _int(row: object, name: str) -> int:
    value: Any = getattr(row, name)
    return int(value)


def _session_facts(row: Any) -> group_map.GroupSessionFacts:
    """The `_session_columns` annotations of a row (a GroupSession or an Attendance)."""
    number = _int(row, "fhir_number")
    held_on = row.fhir_held_on
    status = row.fhir_status
    return group_map.GroupSessionFacts(
        id=_uuid(row, "fhir_session"),
        group_id=_uuid(row, "fhir_group"),
        practice_id=_uuid(row, "fhir_practice"),
        number=number,
        phase=group_map.group_phase(
            number,
            initial_last=_int(row, "fhir_initial"),
            middle_last=_int(row, "fhir_middle"),
        ),
        held_on=held_on,
        held=status == GroupSessionStatus.HELD,
        recorded_by=_optional_uuid(row, "fhir_recorder"),
    )


def group_session_resources(
    sessions: QuerySet[GroupSession], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[Json]:
    """An Encounter (subject the Group) per group session. The notes are not read."""
    rows = (
        sessions.only("id", "group_id")
        .annotate(**_session_columns(""))
        .order_by("group_id", "number")
    )
    for row in rows.iterator(chunk_size=chunk_size):
        yield group_map.group_session_encounter(_session_facts(row))


def member_score_resources(
    members: QuerySet[GroupMember],
    instruments: InstrumentCache,
    *,
    linked_groups: Collection[int] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Json]:
    """Per member: an Encounter for each held group session they attended, then each of
    their scores as QuestionnaireResponse + Observations (the screening's marked as such,
    a session's pointing at the member's Encounter for it).

    `linked_groups` (group pks) says whose group-session Encounters are exported beside
    these, so that `partOf` is set only where it resolves; None means every group's.
    Attendance and scores are read per chunk of members with one query each.
    """
    rows = (
        members.only("id", "public_id")
        .annotate(fhir_client=F("client__public_id"))
        .order_by("id")
        .iterator(chunk_size=chunk_size)
    )
    for batch in batches(rows, chunk_size):
        ids = [m.pk for m in batch]
        attended = _grouped(
            Attendance.objects.filter(
                member_id__in=ids, present=True, session__status=GroupSessionStatus.HELD
            )
            .only("member_id", "session_id", "public_id")
            .annotate(**_session_columns("session__"))
            .order_by("session__group_id", "session__number", "id"),
            "member_id",
        )
        scores = _grouped(
            MemberScore.objects.filter(member_id__in=ids)
            .annotate(fhir_author=F("entered_by__public_id"))
            .order_by("administered_at", "id"),
            "member_id",
        )
        for member in batch:
            yield from _one_member(
                member,
                attended.get(member.pk, []),
                scores.get(member.pk, []),
                instruments,
                linked_groups,
            )


def _one_member(
    member: GroupMember,
    attended: Sequence[Attendance],
    scores: Sequence[MemberScore],
    instruments: InstrumentCache,
    linked_groups: Collection[int] | None,
) -> Iterator[Json]:
    client_id = _uuid(member, "fhir_client")
    encounter_for: dict[int, UUID] = {}  # group session pk → the member's Encounter id
    for row in attended:
        linked = linked_groups is None or _int(row, "fhir_group_pk") in linked_groups
        encounter_for[row.session_id] = row.public_id
        yield group_map.member_encounter(
            attendance_id=row.public_id,
            session=_session_facts(row),
            client_id=client_id,
            part_of=linked,
        )
    for score in scores:
        instrument = instruments.get(score.instrument_code)
        if instrument is None:
            continue  # An instrument the practice has since removed: nothing to decode with.
        answered = group_map.from_member_score(score)
        context = group_map.score_context(at_session=score.session_id is not None)
        encounter_id = encounter_for.get(score.session_id) if score.session_id else None
        yield measure_map.questionnaire_response(
            answered,
            instrument,
            client_id=client_id,
            encounter_id=encounter_id,
            author_id=_optional_uuid(score, "fhir_author"),
            context=context,
        )
        yield from measure_map.observations(
            answered, instrument, client_id=client_id, encounter_id=encounter_id, context=context
        )
