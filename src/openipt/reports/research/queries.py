"""The reads behind a research export, as plain records, in chunks of clients.

Every query uses `.values()` with named columns, so no model instance (and no
encrypted free-text field) is ever loaded: the names, contact details and
notes of a client are not read at all. Clients are taken in the order of their
pseudonym (random per export), so the row order says nothing about when a
client was registered; their rows are read a chunk of clients at a time, which
keeps memory flat however large the practice (one small entry per client for
the ordering, plus one chunk of rows).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from django.db.models import Count, QuerySet
from django.utils import timezone

from openipt.courses.models import (
    Experiment,
    FocusArea,
    Session,
    TechniqueUse,
    TerminationReview,
)
from openipt.courses.models.sessions import Attendance
from openipt.groups.models import MemberScore
from openipt.measures.engine import Instrument
from openipt.measures.engine.outcomes import Outcome, course_outcome
from openipt.measures.models import MeasureAdministration
from openipt.reports.research.access import ExportScope
from openipt.reports.research.options import ExportOptions
from openipt.reports.research.pseudonyms import ExportKeys
from openipt.reports.research.records import (
    AdministrationRecord,
    CourseRecord,
    CourseRef,
    GroupScoreRecord,
    Person,
    SessionRecord,
)

CHUNK_CLIENTS = 500
R = TypeVar("R")


def _day(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value is not None else None


def _period(
    rows: QuerySet[Any], field: str, options: ExportOptions, *, is_datetime: bool
) -> QuerySet[Any]:
    lookup = f"{field}__date" if is_datetime else field
    if options.period_from is not None:
        rows = rows.filter(**{f"{lookup}__gte": options.period_from})
    if options.period_to is not None:
        rows = rows.filter(**{f"{lookup}__lte": options.period_to})
    return rows


def _clients_in_pseudonym_order(
    rows: QuerySet[Any], client_path: str, keys: ExportKeys
) -> list[tuple[int, Person]]:
    seen = (
        rows.order_by()
        .values_list(
            f"{client_path}_id", f"{client_path}__public_id", f"{client_path}__date_of_birth"
        )
        .distinct()
    )
    people = {pk: Person(public_id=pid, date_of_birth=dob) for pk, pid, dob in seen}
    return sorted(people.items(), key=lambda item: keys.pseudonym("client", item[1].public_id))


def _by_client(
    rows: QuerySet[Any],
    *,
    client_path: str,
    keys: ExportKeys,
    read_chunk: Callable[[QuerySet[Any], Mapping[int, Person]], Iterable[tuple[int, R]]],
) -> Iterator[R]:
    """Records of `rows`, client by client in pseudonym order, a chunk of clients at a time."""
    clients = _clients_in_pseudonym_order(rows, client_path, keys)
    for start in range(0, len(clients), CHUNK_CLIENTS):
        chunk = dict(clients[start : start + CHUNK_CLIENTS])
        grouped: dict[int, list[R]] = defaultdict(list)
        for client_id, record in read_chunk(
            rows.filter(**{f"{client_path}_id__in": list(chunk)}), chunk
        ):
            grouped[client_id].append(record)
        for client_id in chunk:
            yield from grouped.get(client_id, [])


# --- questionnaires ------------------------------------------------------------------


def administrations_in_scope(scope: ExportScope, options: ExportOptions) -> QuerySet[Any]:
    rows = MeasureAdministration.objects.filter(course__in=scope.courses, superseded=False)
    if options.instrument:
        rows = rows.filter(instrument_code=options.instrument)
    return _period(rows, "administered_at", options, is_datetime=True)


def _course_ref(row: Mapping[str, Any], prefix: str = "course__") -> CourseRef:
    return CourseRef(
        public_id=row[f"{prefix}public_id"],
        variant=row[f"{prefix}variant"],
        start_date=row[f"{prefix}start_date"],
    )


_COURSE_FIELDS = ("course__public_id", "course__variant", "course__start_date")


def _read_administrations(
    rows: QuerySet[Any], people: Mapping[int, Person]
) -> Iterator[tuple[int, AdministrationRecord]]:
    values = rows.order_by("course__start_date", "course_id", "administered_at", "id").values(
        "client_id",
        *_COURSE_FIELDS,
        "session__number",
        "instrument_code",
        "instrument_version",
        "administered_at",
        "mode",
        "prorated",
        "total",
        "band_code",
        "risk_link_ids",
        "answers",
    )
    for row in values:
        answers = row["answers"] if isinstance(row["answers"], dict) else {}
        yield (
            row["client_id"],
            AdministrationRecord(
                person=people[row["client_id"]],
                course=_course_ref(row),
                session_number=row["session__number"],
                instrument_code=row["instrument_code"],
                instrument_version=row["instrument_version"],
                administered_on=timezone.localdate(row["administered_at"]),
                mode=row["mode"],
                prorated=row["prorated"],
                total=row["total"],
                band_code=row["band_code"],
                risk_link_ids=list(row["risk_link_ids"] or []),
                answers=answers,
            ),
        )


def administration_records(
    scope: ExportScope, options: ExportOptions, keys: ExportKeys
) -> Iterator[AdministrationRecord]:
    return _by_client(
        administrations_in_scope(scope, options),
        client_path="client",
        keys=keys,
        read_chunk=_read_administrations,
    )


# --- sessions --------------------------------------------------------------------------


def sessions_in_scope(scope: ExportScope, options: ExportOptions) -> QuerySet[Any]:
    rows = Session.objects.filter(course__in=scope.courses)
    return _period(rows, "date", options, is_datetime=False)


def _read_sessions(
    rows: QuerySet[Any], people: Mapping[int, Person]
) -> Iterator[tuple[int, SessionRecord]]:
    values = list(
        rows.order_by("course__start_date", "course_id", "number").values(
            "id",
            "course__client_id",
            *_COURSE_FIELDS,
            "number",
            "date",
            "phase",
            "attendance",
            "adherence",
        )
    )
    ids = [row["id"] for row in values]
    techniques: dict[int, list[str]] = defaultdict(list)
    for session_id, technique in TechniqueUse.objects.filter(session_id__in=ids).values_list(
        "session_id", "technique"
    ):
        techniques[session_id].append(technique)
    experiments = dict(
        Experiment.objects.filter(assigned_in_id__in=ids)
        .values("assigned_in_id")
        .annotate(n=Count("id"))
        .values_list("assigned_in_id", "n")
    )
    for row in values:
        client_id = row["course__client_id"]
        adherence = row["adherence"] if isinstance(row["adherence"], list) else []
        yield (
            client_id,
            SessionRecord(
                person=people[client_id],
                course=_course_ref(row),
                number=row["number"],
                date=row["date"],
                phase=row["phase"],
                attendance=row["attendance"],
                adherence=adherence,
                techniques=techniques.get(row["id"], []),
                experiments_assigned=experiments.get(row["id"], 0),
            ),
        )


def session_records(
    scope: ExportScope, options: ExportOptions, keys: ExportKeys
) -> Iterator[SessionRecord]:
    return _by_client(
        sessions_in_scope(scope, options),
        client_path="course__client",
        keys=keys,
        read_chunk=_read_sessions,
    )


# --- courses ---------------------------------------------------------------------------


def courses_in_scope(scope: ExportScope, options: ExportOptions) -> QuerySet[Any]:
    return _period(scope.courses, "start_date", options, is_datetime=False)


def _session_counts(course_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Session.objects.filter(course_id__in=course_ids)
        .values("course_id", "attendance")
        .annotate(n=Count("id"))
        .values_list("course_id", "attendance", "n")
    )
    for course_id, attendance, n in rows:
        counts[course_id][attendance] = n
    return counts


def _outcomes(
    course_ids: Sequence[int], instruments: Mapping[str, Instrument], codes: Sequence[str]
) -> dict[int, dict[str, Outcome]]:
    totals: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    rows = (
        MeasureAdministration.objects.filter(
            course_id__in=course_ids, superseded=False, instrument_code__in=list(codes)
        )
        .order_by("administered_at", "id")
        .values_list("course_id", "instrument_code", "total")
    )
    for course_id, instrument_code, total in rows:
        totals[course_id][instrument_code].append(total)
    result: dict[int, dict[str, Outcome]] = defaultdict(dict)
    for course_id, by_code in totals.items():
        for instrument_code, series in by_code.items():
            instrument = instruments.get(instrument_code)
            if instrument is None:
                continue
            try:
                result[course_id][instrument_code] = course_outcome(instrument, series)
            except (TypeError, ValueError):
                # A total outside the instrument's current range (a redefined
                # practice instrument): no outcome rather than a wrong one.
                continue
    return result


def course_records(
    scope: ExportScope,
    options: ExportOptions,
    keys: ExportKeys,
    *,
    instruments: Mapping[str, Instrument],
    outcome_codes: Sequence[str],
) -> Iterator[CourseRecord]:
    def read(
        rows: QuerySet[Any], people: Mapping[int, Person]
    ) -> Iterator[tuple[int, CourseRecord]]:
        values = list(
            rows.order_by("start_date", "id").values(
                "id",
                "client_id",
                "public_id",
                "variant",
                "start_date",
                "planned_sessions",
                "frequency",
                "session_minutes",
                "status",
                "phase",
                "closed_at",
            )
        )
        ids = [row["id"] for row in values]
        sessions = _session_counts(ids)
        areas: dict[int, list[str]] = defaultdict(list)
        for course_id, area in FocusArea.objects.filter(course_id__in=ids).values_list(
            "course_id", "area"
        ):
            areas[course_id].append(area)
        reviews = {
            course_id: (category, step)
            for course_id, category, step in TerminationReview.objects.filter(
                course_id__in=ids
            ).values_list("course_id", "outcome_category", "next_step")
        }
        outcomes = _outcomes(ids, instruments, outcome_codes)
        for row in values:
            counts = sessions.get(row["id"], {})
            category, step = reviews.get(row["id"], ("", ""))
            yield (
                row["client_id"],
                CourseRecord(
                    person=people[row["client_id"]],
                    course=_course_ref(row, prefix=""),
                    planned_sessions=row["planned_sessions"],
                    frequency=row["frequency"],
                    session_minutes=row["session_minutes"],
                    status=row["status"],
                    phase=row["phase"],
                    closed_on=_day(row["closed_at"]),
                    sessions_recorded=sum(counts.values()),
                    sessions_attended=counts.get(Attendance.ATTENDED, 0),
                    sessions_missed=counts.get(Attendance.CANCELLED, 0)
                    + counts.get(Attendance.NO_SHOW, 0),
                    focus_areas=areas.get(row["id"], []),
                    outcome_category=category,
                    next_step=step,
                    outcomes=outcomes.get(row["id"], {}),
                ),
            )

    return _by_client(
        courses_in_scope(scope, options), client_path="client", keys=keys, read_chunk=read
    )


# --- group programme scores ------------------------------------------------------------


def group_scores_in_scope(scope: ExportScope, options: ExportOptions) -> QuerySet[Any]:
    rows = MemberScore.objects.filter(member__in=scope.members)
    if options.instrument:
        rows = rows.filter(instrument_code=options.instrument)
    return _period(rows, "administered_at", options, is_datetime=True)


def _read_group_scores(
    rows: QuerySet[Any], people: Mapping[int, Person]
) -> Iterator[tuple[int, GroupScoreRecord]]:
    values = rows.order_by("member_id", "administered_at", "id").values(
        "member__client_id",
        "member__group__public_id",
        "member__screening__screened_at",
        "member__problem_area",
        "member__status",
        "session__number",
        "instrument_code",
        "instrument_version",
        "administered_at",
        "total",
        "band_code",
        "risk_link_ids",
        "answers",
    )
    for row in values:
        client_id = row["member__client_id"]
        group_id: UUID | None = row["member__group__public_id"]
        yield (
            client_id,
            GroupScoreRecord(
                person=people[client_id],
                group_public_id=group_id,
                screened_on=timezone.localdate(row["member__screening__screened_at"]),
                problem_area=row["member__problem_area"],
                member_status=row["member__status"],
                session_number=row["session__number"],
                instrument_code=row["instrument_code"],
                instrument_version=row["instrument_version"],
                administered_on=timezone.localdate(row["administered_at"]),
                total=row["total"],
                band_code=row["band_code"],
                risk_link_ids=list(row["risk_link_ids"] or []),
                answers=row["answers"] if isinstance(row["answers"], dict) else {},
            ),
        )


def group_score_records(
    scope: ExportScope, options: ExportOptions, keys: ExportKeys
) -> Iterator[GroupScoreRecord]:
    return _by_client(
        group_scores_in_scope(scope, options),
        client_path="member__client",
        keys=keys,
        read_chunk=_read_group_scores,
    )


def instrument_codes_in(rows: QuerySet[Any]) -> list[str]:
    """The instruments that occur in `rows` (one small query), sorted."""
    return sorted(set(rows.order_by().values_list("instrument_code", flat=True).distinct()))
