"""Reads of questionnaires, schedules and instruments.

Course-level functions take a course the caller obtained through
`course_get_for_actor` (or `course_get_for_writing`), so the actor's reach is
already checked; rows are looked up *within* that course, so an id from another
course is a 404 exactly like a missing one. `administrations_for_course` and
`administration_get_for_actor` check the actor again themselves, because other
apps call them directly.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from openipt.courses.models import Course, Session
from openipt.courses.selectors.access import courses_visible_to
from openipt.measures.engine import (
    DefinitionError,
    Instrument,
    Outcome,
    course_outcome,
    parse_definition,
    shipped_instruments,
    with_licensed_text,
)
from openipt.measures.models import (
    LicensedText,
    MeasureAdministration,
    MeasureRequest,
    MeasureSchedule,
    PracticeInstrument,
)
from openipt.protocol.variants import VARIANTS

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Client, Practice

# Every course asks for these before each session unless its clinician changes
# the schedule (measures note §4; IPT certification asks for PHQ-9 and GAD-7 at
# intake and at least every four sessions).
BASE_SCHEDULE: tuple[str, ...] = ("phq9", "gad7")
# PHQ-A is the adolescent version of the PHQ-9: when a practice can give it,
# it replaces the PHQ-9 in the default schedule rather than doubling it.
REPLACES: Mapping[str, str] = {"phqa": "phq9"}


class UnknownInstrument(LookupError):
    """No shipped instrument and no instrument of the practice has this code."""


# --- instruments -----------------------------------------------------------------------


def is_administrable(instrument: Instrument) -> bool:
    """True when every item and answer has words a person can read.

    EPDS and PHQ-A ship without their text; until a licensed practice loads it,
    nobody can be shown the questionnaire.
    """
    return all(
        item.text.strip() and all(option.display.strip() for option in item.options)
        for item in instrument.items
    )


def missing_text_keys(instrument: Instrument) -> list[str]:
    """The `with_licensed_text` keys that still have no words, in definition order."""
    missing: list[str] = []
    for item in instrument.items:
        if not item.text.strip():
            missing.append(item.link_id)
        missing.extend(
            f"{item.link_id}:{option.code}" for option in item.options if not option.display.strip()
        )
    return missing


def _latest_licensed_texts(practice: Practice) -> dict[tuple[str, str], LicensedText]:
    """The newest licensed text per (instrument code, language), in one query."""
    latest: dict[tuple[str, str], LicensedText] = {}
    for row in LicensedText.objects.filter(practice=practice).order_by("-created_at", "-id"):
        latest.setdefault((row.instrument_code, row.language), row)
    return latest


def _latest_practice_definitions(practice: Practice) -> dict[str, PracticeInstrument]:
    latest: dict[str, PracticeInstrument] = {}
    rows = PracticeInstrument.objects.filter(practice=practice, active=True).order_by(
        "-created_at", "-id"
    )
    for row in rows:
        latest.setdefault(row.code, row)
    return latest


def _with_text(
    instrument: Instrument,
    texts: Mapping[tuple[str, str], LicensedText],
    language: str,
) -> Instrument:
    if instrument.text_licensed:
        return instrument
    row = texts.get((instrument.code, language)) or texts.get((instrument.code, "en"))
    if row is None or row.version != instrument.version:
        return instrument
    try:
        return with_licensed_text(instrument, row.texts)
    except DefinitionError:
        # Validated on load; a text that no longer fits (a new shipped version)
        # leaves the instrument unadministrable rather than half-worded.
        return instrument


def instruments_for_practice(practice: Practice, *, language: str = "en") -> dict[str, Instrument]:
    """Every instrument the practice can see, by code: shipped ones (with any
    licensed text it loaded) and its own. Two queries."""
    texts = _latest_licensed_texts(practice)
    result = {
        code: _with_text(instrument, texts, language)
        for code, instrument in shipped_instruments().items()
    }
    for code, row in _latest_practice_definitions(practice).items():
        if code in result:
            continue  # Shipped codes cannot be replaced; the upload refuses them too.
        try:
            result[code] = parse_definition(row.definition)
        except DefinitionError:
            continue
    return result


def instrument_for_practice(practice: Practice, code: str, *, language: str = "en") -> Instrument:
    """The instrument `code` as this practice gives it: shipped (with the licensed
    text the practice loaded, if any) or the practice's own definition."""
    shipped = shipped_instruments().get(code)
    if shipped is not None:
        if shipped.text_licensed:
            return shipped
        texts = {
            (row.instrument_code, row.language): row
            for row in LicensedText.objects.filter(
                practice=practice, instrument_code=code, language__in={language, "en"}
            ).order_by("created_at", "id")
        }
        return _with_text(shipped, texts, language)
    row = (
        PracticeInstrument.objects.filter(practice=practice, code=code, active=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        raise UnknownInstrument(code)
    try:
        return parse_definition(row.definition)
    except DefinitionError as exc:
        raise UnknownInstrument(code) from exc


def instrument_label(code: str, instruments: Mapping[str, Instrument] | None = None) -> str:
    """The short title of an instrument, or the code itself when it is unknown."""
    catalogue = instruments if instruments is not None else shipped_instruments()
    instrument = catalogue.get(code)
    return instrument.short_title if instrument is not None else code


@dataclass(frozen=True)
class InstrumentRow:
    """One line of the practice's instrument list."""

    instrument: Instrument
    origin: str  # "shipped" or "practice"
    administrable: bool
    licensed_text: LicensedText | None
    practice_row: PracticeInstrument | None


def instrument_catalogue_for_admin(practice: Practice) -> list[InstrumentRow]:
    """Shipped instruments, the practice's own, and where licensed text stands. Three queries."""
    texts = _latest_licensed_texts(practice)
    rows: list[InstrumentRow] = []
    for code, shipped in shipped_instruments().items():
        instrument = _with_text(shipped, texts, "en")
        rows.append(
            InstrumentRow(
                instrument=instrument,
                origin="shipped",
                administrable=is_administrable(instrument),
                licensed_text=None if shipped.text_licensed else texts.get((code, "en")),
                practice_row=None,
            )
        )
    for row in PracticeInstrument.objects.filter(practice=practice).order_by("code", "-created_at"):
        try:
            own = parse_definition(row.definition)
        except DefinitionError:
            continue
        rows.append(
            InstrumentRow(
                instrument=own,
                origin="practice",
                administrable=row.active and is_administrable(own),
                licensed_text=None,
                practice_row=row,
            )
        )
    return rows


def unlicensed_instruments() -> list[Instrument]:
    """Shipped instruments whose text a practice must load itself."""
    return [i for i in shipped_instruments().values() if not i.text_licensed]


# --- administrations -------------------------------------------------------------------


def _require_visible(actor: User, course: Course) -> None:
    if not courses_visible_to(actor=actor).filter(pk=course.pk).exists():
        raise Http404("No such course.")


def administrations_for_course(*, actor: User, course: Course) -> QuerySet[MeasureAdministration]:
    """Every questionnaire of the course, corrected ones included, oldest first, in one query."""
    _require_visible(actor, course)
    return (
        MeasureAdministration.objects.filter(course=course)
        .select_related("session", "entered_by", "superseded_by", "supersedes")
        .order_by("instrument_code", "administered_at", "id")
    )


def administration_get_for_actor(*, actor: User, public_id: UUID | str) -> MeasureAdministration:
    """One questionnaire the actor may read (through its course), or a 404."""
    try:
        return (
            MeasureAdministration.objects.filter(course__in=courses_visible_to(actor=actor))
            .select_related(
                "course",
                "course__client",
                "course__practice",
                "client",
                "practice",
                "session",
                "entered_by",
                "superseded_by",
                "supersedes",
            )
            .get(public_id=public_id)
        )
    except (MeasureAdministration.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such questionnaire.") from exc


def current_administrations(course: Course) -> QuerySet[MeasureAdministration]:
    """The questionnaires that count: corrected ones are replaced by their correction."""
    return MeasureAdministration.objects.filter(course=course, superseded=False)


def previous_administration(administration: MeasureAdministration) -> MeasureAdministration | None:
    """The current questionnaire of the same instrument just before this one."""
    return (
        current_administrations(administration.course)
        .filter(instrument_code=administration.instrument_code)
        .filter(
            Q(administered_at__lt=administration.administered_at)
            | Q(administered_at=administration.administered_at, id__lt=administration.id)
        )
        .exclude(pk=administration.pk)
        .order_by("-administered_at", "-id")
        .first()
    )


def _session_number_for(
    administration_date: datetime.date, sessions: Sequence[tuple[int, datetime.date]]
) -> int:
    # A questionnaire not tied to a session was given *before* the next one:
    # it belongs to the first session on or after its date.
    for number, date in sessions:
        if date >= administration_date:
            return number
    return (sessions[-1][0] + 1) if sessions else 1


def score_series(course: Course) -> dict[str, list[tuple[datetime.datetime, int, int]]]:
    """Per instrument, the current totals in time order: (administered_at, session number, total).

    A questionnaire linked to a session carries that session's number; one
    completed between sessions (the portal) is counted "before" the first
    session on or after its date. Two queries.
    """
    sessions = list(
        Session.objects.filter(course=course).order_by("number").values_list("number", "date")
    )
    series: dict[str, list[tuple[datetime.datetime, int, int]]] = {}
    rows = (
        current_administrations(course)
        .order_by("administered_at", "id")
        .values_list("instrument_code", "administered_at", "session__number", "total")
    )
    for code, at, number, total in rows:
        if number is None:
            number = _session_number_for(timezone.localdate(at), sessions)
        series.setdefault(code, []).append((at, number, total))
    return series


def course_outcomes(course: Course) -> dict[str, Outcome]:
    """Per instrument given in the course, the outcome (baseline, change, response…)."""
    instruments = instruments_for_practice(course.practice)
    outcomes: dict[str, Outcome] = {}
    for code, points in score_series(course).items():
        instrument = instruments.get(code)
        if instrument is None:
            continue
        outcomes[code] = course_outcome(instrument, [total for _at, _n, total in points])
    return outcomes


@dataclass(frozen=True)
class ScoreSummary:
    """Baseline, previous and latest total of one instrument in one course."""

    instrument_code: str
    n_scores: int
    baseline: int
    previous: int | None
    latest: int
    latest_band_code: str
    latest_at: datetime.datetime
    totals: tuple[int, ...]

    @property
    def change(self) -> int:
        return self.latest - self.baseline


def latest_scores_for_courses(
    course_ids: Iterable[int], *, instrument_codes: Iterable[str] | None = None
) -> dict[int, dict[str, ScoreSummary]]:
    """For each course id, per instrument: baseline, previous and latest — one query.

    Meant for lists (the caseload): call it once with the ids of the page's
    courses. `totals` holds every current total in time order so that callers
    can pass it to `course_outcome` without another query.
    """
    ids = list(course_ids)
    if not ids:
        return {}
    rows = MeasureAdministration.objects.filter(course_id__in=ids, superseded=False)
    if instrument_codes is not None:
        rows = rows.filter(instrument_code__in=list(instrument_codes))
    grouped: dict[int, dict[str, list[tuple[int, str, datetime.datetime]]]] = {}
    for course_id, code, total, band, at in rows.order_by("administered_at", "id").values_list(
        "course_id", "instrument_code", "total", "band_code", "administered_at"
    ):
        grouped.setdefault(course_id, {}).setdefault(code, []).append((total, band, at))
    result: dict[int, dict[str, ScoreSummary]] = {}
    for course_id, by_code in grouped.items():
        result[course_id] = {}
        for code, points in by_code.items():
            totals = tuple(total for total, _band, _at in points)
            result[course_id][code] = ScoreSummary(
                instrument_code=code,
                n_scores=len(points),
                baseline=totals[0],
                previous=totals[-2] if len(totals) > 1 else None,
                latest=totals[-1],
                latest_band_code=points[-1][1],
                latest_at=points[-1][2],
                totals=totals,
            )
    return result


def latest_total_subquery(instrument_code: str, *, course_ref: str = "pk") -> Subquery:
    """An annotation for Course querysets: the latest current total of one instrument.

    `Course.objects.annotate(latest_phq9=latest_total_subquery("phq9"))`.
    """
    return Subquery(
        MeasureAdministration.objects.filter(
            course=OuterRef(course_ref), instrument_code=instrument_code, superseded=False
        )
        .order_by("-administered_at", "-id")
        .values("total")[:1]
    )


def baseline_total_subquery(instrument_code: str, *, course_ref: str = "pk") -> Subquery:
    """An annotation for Course querysets: the first current total of one instrument."""
    return Subquery(
        MeasureAdministration.objects.filter(
            course=OuterRef(course_ref), instrument_code=instrument_code, superseded=False
        )
        .order_by("administered_at", "id")
        .values("total")[:1]
    )


# --- schedules and what is due -----------------------------------------------------------


@dataclass(frozen=True)
class ScheduleEntry:
    instrument_code: str
    every_n_sessions: int
    active: bool
    stored: bool  # False: the default, not yet saved for this course


def default_schedule_codes(
    variant_code: str, instruments: Mapping[str, Instrument]
) -> tuple[str, ...]:
    """The instruments a new course asks for: PHQ-9 and GAD-7, plus what its variant
    names (GDS-15 for older adults; EPDS for perinatal and PHQ-A for adolescents
    only when the practice has loaded their licensed text)."""
    variant = VARIANTS.get(variant_code)
    extras = variant.default_measures if variant is not None else ()
    codes: list[str] = list(BASE_SCHEDULE)
    for code in extras:
        instrument = instruments.get(code)
        if code in codes or instrument is None or not is_administrable(instrument):
            continue
        codes.append(code)
        replaced = REPLACES.get(code)
        if replaced in codes:
            codes.remove(replaced)
    return tuple(codes)


def schedule_for_course(
    course: Course, *, instruments: Mapping[str, Instrument] | None = None
) -> list[ScheduleEntry]:
    """The course's schedule: what its clinician saved, or the default until they do."""
    stored = list(MeasureSchedule.objects.filter(course=course).order_by("instrument_code"))
    if stored:
        return [
            ScheduleEntry(s.instrument_code, s.every_n_sessions, s.active, stored=True)
            for s in stored
        ]
    catalogue = (
        instruments if instruments is not None else instruments_for_practice(course.practice)
    )
    return [
        ScheduleEntry(code, 1, True, stored=False)
        for code in default_schedule_codes(course.variant, catalogue)
    ]


@dataclass(frozen=True)
class DueMeasure:
    """One scheduled instrument and where it stands for the next session."""

    instrument_code: str
    label: str
    every_n_sessions: int
    next_session: int  # the session the next questionnaire is due before
    due_now: bool  # due before the very next session and not given yet
    last_administered_at: datetime.datetime | None

    @property
    def description(self) -> str:
        if self.every_n_sessions == 1:
            rhythm = "before every session"
        else:
            rhythm = f"every {self.every_n_sessions} sessions"
        return f"{self.label}: due before session {self.next_session} ({rhythm})"


def _scheduled_session(upcoming: int, every: int) -> int:
    # Sessions 1, 1 + N, 1 + 2N… are the scheduled ones: a baseline before the
    # first session, then every N sessions.
    remainder = (upcoming - 1) % every
    return upcoming if remainder == 0 else upcoming + (every - remainder)


def measures_due(course: Course) -> list[DueMeasure]:
    """Which scheduled instruments are due before the next session. Three queries.

    Scheduled sessions are 1, 1 + N, 1 + 2N… Each questionnaire counts for a
    session: the one it was linked to, else the first session on or after its
    date (the next one when none is recorded yet), as in `score_series`. An
    instrument is due now when the next session is a scheduled one and nothing
    was given for it yet, or when the last scheduled session was missed.
    """
    instruments = instruments_for_practice(course.practice)
    entries = [e for e in schedule_for_course(course, instruments=instruments) if e.active]
    sessions = list(
        Session.objects.filter(course=course).order_by("number").values_list("number", "date")
    )
    upcoming = sessions[-1][0] + 1 if sessions else 1
    last_at: dict[str, datetime.datetime] = {}
    covered: dict[str, set[int]] = {}
    rows = (
        current_administrations(course)
        .order_by("administered_at", "id")
        .values_list("instrument_code", "administered_at", "session__number")
    )
    for code, at, number in rows:
        last_at[code] = at
        if number is None:
            number = _session_number_for(timezone.localdate(at), sessions)
        covered.setdefault(code, set()).add(number)
    due: list[DueMeasure] = []
    for entry in entries:
        code, every = entry.instrument_code, entry.every_n_sessions
        given = covered.get(code, set())
        if upcoming in given:
            next_session, due_now = _scheduled_session(upcoming + 1, every), False
        else:
            scheduled = _scheduled_session(upcoming, every)
            previous = scheduled - every
            missed = scheduled > upcoming and not any(n >= previous for n in given)
            if scheduled == upcoming or missed:
                next_session, due_now = upcoming, True
            else:
                next_session, due_now = scheduled, False
        due.append(
            DueMeasure(
                instrument_code=code,
                label=instrument_label(code, instruments),
                every_n_sessions=every,
                next_session=next_session,
                due_now=due_now,
                last_administered_at=last_at.get(code),
            )
        )
    return due


# --- portal requests ------------------------------------------------------------------


def request_is_open(request: MeasureRequest, *, now: datetime.datetime | None = None) -> bool:
    moment = now or timezone.now()
    return (
        not request.cancelled
        and request.completed_administration_id is None
        and request.expires_at > moment
    )


def open_requests_for_client(client: Client) -> QuerySet[MeasureRequest]:
    """Questionnaires waiting for the client in the portal, soonest expiry first."""
    return (
        MeasureRequest.objects.filter(
            course__client=client,
            course__status="active",
            cancelled=False,
            completed_administration__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("course")
        .order_by("expires_at", "id")
    )


def request_get_for_client(*, client: Client, public_id: UUID | str) -> MeasureRequest:
    """One of the client's own requests (open or not), or a 404."""
    try:
        return MeasureRequest.objects.select_related(
            "course", "course__client", "course__practice", "completed_administration"
        ).get(public_id=public_id, course__client=client)
    except (MeasureRequest.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such questionnaire.") from exc


def requests_for_course(course: Course) -> QuerySet[MeasureRequest]:
    return (
        MeasureRequest.objects.filter(course=course)
        .select_related("completed_administration")
        .order_by("-requested_at", "-id")
    )


def schedule_rows(course: Course) -> QuerySet[MeasureSchedule]:
    return MeasureSchedule.objects.filter(course=course).order_by("instrument_code")


def as_answer_map(administration: MeasureAdministration) -> dict[str, Any]:
    """The stored answers as a plain dict (ordinals by linkId)."""
    answers = administration.answers
    return dict(answers) if isinstance(answers, dict) else {}
