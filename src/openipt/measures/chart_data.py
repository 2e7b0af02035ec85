"""What the outcome panels, the course charts, the session page and the caseload show.

Reads only: each function takes a course the caller already obtained through
`course_get_for_actor` (so the actor's reach is settled), reads the scores
through `openipt.measures.selectors`, and turns them into plain values with the
pure engine (`course_outcome`, `expected_curve`, `track_status`). Templates get
finished words; nothing clinical is decided in a template.

Session axis: a score sits at the session it was given for (see
`selectors.score_series`: a questionnaire linked to a session carries its
number; one completed between sessions counts for the next session). The
expected-recovery curve starts at the baseline's session, and "sessions since
baseline" for `track_status` is the latest score's session minus the
baseline's.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.utils import timezone

from openipt.courses.models import Course, LifeEvent, Medication, MedicationChange, Session
from openipt.measures.charts import (
    ChartMarker,
    ChartPoint,
    ChartSize,
    MarkerKind,
    PhaseSpan,
    course_chart_svg,
)
from openipt.measures.engine import (
    ExpectedBand,
    ExpectedPoint,
    Instrument,
    Outcome,
    TrackStatus,
    course_outcome,
    expected_curve,
    is_tracked,
    track_status,
)
from openipt.measures.engine.expected import TRACKING_FROM_SESSION
from openipt.measures.models import ExpectedRecoveryCalibration
from openipt.measures.selectors import (
    instruments_for_practice,
    schedule_for_course,
    score_series,
)

if TYPE_CHECKING:
    from openipt.practice.models import Practice

# The expected range is a heuristic (measures note §5): every page that shows it or
# a status derived from it says so, and never presents it as a published norm.
NOT_ON_TRACK_PROMPT = "Not on track: review the focus, medication and frequency"

# What each status means, in a sentence under the status itself.
TRACK_DETAILS: Mapping[TrackStatus, str] = {
    TrackStatus.NO_BASELINE: "A baseline questionnaire is needed before progress can be judged.",
    TrackStatus.TOO_EARLY: (
        f"Progress is compared with the expected range from {TRACKING_FROM_SESSION} sessions "
        "after the baseline on; an early change is not a prognosis."
    ),
    TrackStatus.ON_TRACK: "The latest score is within or below the expected range.",
    TrackStatus.NOT_ON_TRACK: "The latest score is above the expected range.",
    TrackStatus.NOT_TRACKED: "This questionnaire has no expected-recovery range.",
}


# --- expected-recovery parameters -----------------------------------------------------------


@dataclass(frozen=True)
class RecoveryParameters:
    """The expected-recovery slopes used for one instrument, and where they came from."""

    bands: tuple[ExpectedBand, ...]
    calibrated: bool
    courses_used: int
    calibrated_at: datetime.datetime | None

    @property
    def source(self) -> str:
        if not self.calibrated:
            return "default heuristic"
        plural = "s" if self.courses_used != 1 else ""
        text = f"calibrated from {self.courses_used} completed course{plural} of this practice"
        if any(band.n_courses == 0 for band in self.bands):
            text += "; bands with too few courses use the default"
        return text


def _bands_from_row(
    instrument: Instrument, row: ExpectedRecoveryCalibration
) -> tuple[ExpectedBand, ...] | None:
    """The stored slopes, when they still fit the instrument's bands; None otherwise."""
    codes = {band.code for band in instrument.bands}
    try:
        bands = tuple(
            ExpectedBand(
                band_code=str(entry["band_code"]),
                k=float(entry["k"]),
                n_courses=int(entry["n_courses"]),
            )
            for entry in row.bands
        )
    except (KeyError, TypeError, ValueError):
        return None
    if {band.band_code for band in bands} != codes:
        return None
    return bands


def recovery_parameters_for(
    practice: Practice, instruments: Iterable[Instrument]
) -> dict[str, RecoveryParameters]:
    """Per instrument code, the practice's latest calibration or the definition's defaults.

    One query for any number of instruments. A calibration whose bands no longer
    match the definition (a new version of it) is ignored rather than misapplied.
    """
    by_code = {instrument.code: instrument for instrument in instruments}
    latest: dict[str, ExpectedRecoveryCalibration] = {}
    for stored in ExpectedRecoveryCalibration.objects.filter(
        practice=practice, instrument_code__in=list(by_code)
    ).order_by("-created_at", "-id"):
        latest.setdefault(stored.instrument_code, stored)
    result: dict[str, RecoveryParameters] = {}
    for code, instrument in by_code.items():
        row = latest.get(code)
        bands = _bands_from_row(instrument, row) if row is not None else None
        if row is not None and bands is not None and any(b.n_courses > 0 for b in bands):
            result[code] = RecoveryParameters(bands, True, row.courses_used, row.created_at)
        else:
            result[code] = RecoveryParameters(instrument.expected_recovery, False, 0, None)
    return result


# --- outcome labels ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeLabel:
    """One outcome term in plain words.

    `state` is "yes", "no", "na" (not applicable, or not yet) or "worse"
    (reliable deterioration, which the page sets apart).
    """

    name: str
    state: str
    text: str


def _yes_no(value: bool | None, yes: str, no: str, na: str) -> tuple[str, str]:
    if value is None:
        return "na", na
    return ("yes", yes) if value else ("no", no)


def change_text(outcome: Outcome) -> str:
    """ "−8 points (−44 %)" or "No change"; empty when there is nothing to compare."""
    if outcome.change is None:
        return ""
    if outcome.change == 0:
        return "No change"
    sign = "+" if outcome.change > 0 else "−"
    points = abs(outcome.change)
    text = f"{sign}{points} point{'s' if points != 1 else ''}"
    if outcome.percent_change is not None:
        text += f" ({sign}{abs(round(outcome.percent_change))} %)"
    return text


def outcome_labels(instrument: Instrument, outcome: Outcome) -> list[OutcomeLabel]:
    """Response, remission, reliable change, recovery and reliable recovery, in plain words."""
    too_few = "Needs a second score" if outcome.n_scores < 2 else "Not applicable"
    labels: list[OutcomeLabel] = []
    state, text = _yes_no(
        outcome.response,
        "Yes: at least 50 % below the baseline",
        "Not yet: less than 50 % below the baseline",
        "Not applicable (baseline of 0)" if outcome.baseline == 0 else too_few,
    )
    labels.append(OutcomeLabel("Response", state, text))
    if instrument.remission_max is not None:
        state, text = _yes_no(
            outcome.remission,
            f"Yes: latest score {instrument.remission_max} or lower",
            f"Not yet: remission is {instrument.remission_max} or lower",
            too_few,
        )
        labels.append(OutcomeLabel("Remission", state, text))
    if outcome.reliable_deterioration:
        labels.append(
            OutcomeLabel(
                "Reliable change", "worse", "Reliable deterioration: worse than at baseline"
            )
        )
    else:
        state, text = _yes_no(
            outcome.reliable_improvement,
            "Reliable improvement",
            "No reliable change yet",
            too_few if outcome.n_scores < 2 else "Not defined for this instrument",
        )
        labels.append(OutcomeLabel("Reliable change", state, text))
    if outcome.caseness_at_baseline is False:
        not_case = "Not applicable: below the clinical threshold at baseline"
        labels.append(OutcomeLabel("Recovery", "na", not_case))
        labels.append(OutcomeLabel("Reliable recovery", "na", not_case))
    else:
        threshold = instrument.caseness_min
        below = f"below {threshold}" if threshold is not None else "below the clinical threshold"
        state, text = _yes_no(
            outcome.recovery,
            f"Yes: from the clinical range at baseline to {below}",
            f"Not yet: recovery means a latest score {below}",
            too_few if outcome.n_scores < 2 else "Not defined for this instrument",
        )
        labels.append(OutcomeLabel("Recovery", state, text))
        state, text = _yes_no(
            outcome.reliable_recovery,
            "Yes: recovered with a reliable improvement",
            "Not yet",
            too_few if outcome.n_scores < 2 else "Not defined for this instrument",
        )
        labels.append(OutcomeLabel("Reliable recovery", state, text))
    return labels


# --- course axis: phases and markers ---------------------------------------------------------


def phase_spans(course: Course) -> list[PhaseSpan]:
    """The three phases on the session axis (the ending is open when the course is)."""
    ending_first = course.middle_last + 1
    return [
        PhaseSpan("Initial", 1, course.initial_last),
        PhaseSpan("Middle", course.initial_last + 1, course.middle_last),
        PhaseSpan(
            "Ending",
            ending_first,
            max(course.planned_sessions, ending_first) if course.planned_sessions else None,
        ),
    ]


def session_position(
    day: datetime.date, sessions: Sequence[tuple[int, datetime.date]], *, gap_days: int
) -> float:
    """Where a date falls on the session axis, interpolating between session dates.

    Before the first session it sits just before session 1; after the last
    recorded session it moves towards the next one at the course's frequency
    (`gap_days`) but never reaches it.
    """
    if not sessions:
        return 0.6
    first_number, first_date = sessions[0]
    if day <= first_date:
        if day == first_date:
            return float(first_number)
        return first_number - min((first_date - day).days / gap_days, 1.0) * 0.4
    for (number, date), (next_number, next_date) in itertools.pairwise(sessions):
        if date <= day <= next_date:
            span = max((next_date - date).days, 1)
            return number + (next_number - number) * (day - date).days / span
    last_number, last_date = sessions[-1]
    return last_number + min((day - last_date).days / gap_days, 0.9)


FREQUENCY_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 30}


@dataclass(frozen=True)
class MarkerRow:
    """A marker on the chart and the line in the data table that explains it."""

    date: datetime.date
    kind: MarkerKind
    kind_label: str
    text: str
    position: float


def course_marker_rows(
    course: Course, sessions: Sequence[tuple[int, datetime.date]]
) -> list[MarkerRow]:
    """Medication starts, changes and stops, and life events, dated within the course.

    Anything before the course started belongs to the history (the timeline
    page shows it) rather than to this course's chart. Three queries.
    """
    end = course.closed_at.date() if course.closed_at else timezone.localdate()
    gap = FREQUENCY_DAYS.get(course.frequency, 7)

    def inside(day: datetime.date | None) -> bool:
        return day is not None and course.start_date <= day <= end

    rows: list[tuple[datetime.date, MarkerKind, str, str]] = []
    for medication in Medication.objects.filter(course=course).order_by("start_date", "id"):
        name = f"{medication.agent} {medication.dose}".strip()
        if inside(medication.start_date):
            rows.append((medication.start_date, "medication", "Medication", f"Started {name}"))
        if medication.stop_date is not None and inside(medication.stop_date):
            rows.append(
                (medication.stop_date, "medication", "Medication", f"Stopped {medication.agent}")
            )
    for change in (
        MedicationChange.objects.filter(medication__course=course)
        .select_related("medication")
        .order_by("date", "id")
    ):
        if inside(change.date):
            what = (
                f"{change.medication.agent}: dose now {change.dose}"
                if change.dose
                else (f"{change.medication.agent}: changed")
            )
            rows.append((change.date, "medication", "Medication", what))
    for event in LifeEvent.objects.filter(course=course, removed_at__isnull=True).order_by(
        "date", "id"
    ):
        if inside(event.date):
            rows.append((event.date, "life_event", event.get_kind_display(), event.title))
    rows.sort(key=lambda row: row[0])
    return [
        MarkerRow(day, kind, kind_label, text, session_position(day, sessions, gap_days=gap))
        for day, kind, kind_label, text in rows
    ]


def chart_markers(rows: Sequence[MarkerRow]) -> list[ChartMarker]:
    return [ChartMarker(row.position, row.kind, row.kind_label) for row in rows]


# --- one instrument in one course --------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    """One score in the data table under the chart."""

    session: int
    at: datetime.datetime
    total: int
    band_label: str


@dataclass(frozen=True)
class InstrumentProgress:
    """Everything the overview panel and the chart say about one instrument."""

    instrument: Instrument
    scores: tuple[ScoreRow, ...]
    outcome: Outcome
    labels: tuple[OutcomeLabel, ...]
    parameters: RecoveryParameters
    status: TrackStatus
    expected: tuple[ExpectedPoint, ...]  # on the course's session axis

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def baseline(self) -> ScoreRow | None:
        return self.scores[0] if self.scores else None

    @property
    def latest(self) -> ScoreRow | None:
        return self.scores[-1] if self.scores else None

    @property
    def change_text(self) -> str:
        return change_text(self.outcome)

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def status_detail(self) -> str:
        return TRACK_DETAILS[self.status]

    @property
    def not_on_track(self) -> bool:
        return self.status == TrackStatus.NOT_ON_TRACK

    @property
    def prompt(self) -> str:
        return NOT_ON_TRACK_PROMPT if self.not_on_track else ""

    @property
    def alt_text(self) -> str:
        """The chart in one sentence, for the `<img>`'s alt text."""
        name = self.instrument.short_title
        if not self.scores:
            return f"{name} chart: no scores yet."
        baseline, latest = self.scores[0], self.scores[-1]
        text = (
            f"{name} chart: baseline {baseline.total} ({baseline.band_label}) at session "
            f"{baseline.session}"
        )
        if len(self.scores) > 1:
            text += (
                f", latest {latest.total} ({latest.band_label}) at session {latest.session}, "
                f"{self.outcome.change_label.lower()}"
            )
        if self.status == TrackStatus.NOT_TRACKED:
            return text + "; this questionnaire has no expected range."
        return text + f"; {self.status_label.lower()} against the expected range (a heuristic)."


def _band_label(instrument: Instrument, total: int) -> str:
    try:
        return instrument.band_for(total).label
    except (KeyError, ValueError):
        return ""


def sessions_since_baseline(baseline_session: int, session: int) -> int:
    return max(session - baseline_session, 0)


def progress_for(
    instrument: Instrument,
    points: Sequence[tuple[datetime.datetime, int, int]],
    parameters: RecoveryParameters,
    *,
    planned_sessions: int | None,
) -> InstrumentProgress:
    """Outcome, on-track status and expected curve of one instrument's score series (pure)."""
    scores = tuple(
        ScoreRow(session=n, at=at, total=total, band_label=_band_label(instrument, total))
        for at, n, total in points
    )
    totals = [row.total for row in scores]
    outcome = course_outcome(instrument, totals)
    expected: tuple[ExpectedPoint, ...] = ()
    if scores:
        baseline = scores[0]
        latest = scores[-1]
        since = sessions_since_baseline(baseline.session, latest.session)
        status = track_status(instrument, parameters.bands, baseline.total, since, latest.total)
        if is_tracked(instrument):
            # Draw the curve to the planned end of the course, or a little past the latest score.
            last = max(planned_sessions or 0, latest.session + 2, baseline.session + 8)
            curve = expected_curve(
                instrument, parameters.bands, baseline.total, last - baseline.session
            )
            expected = tuple(replace(p, session=p.session + baseline.session) for p in curve)
    else:
        status = track_status(instrument, parameters.bands, None, 0, 0)
    return InstrumentProgress(
        instrument=instrument,
        scores=scores,
        outcome=outcome,
        labels=tuple(outcome_labels(instrument, outcome)),
        parameters=parameters,
        status=status,
        expected=expected,
    )


@dataclass(frozen=True)
class CourseProgress:
    """All instruments of a course, plus the markers and phases the charts share."""

    instruments: tuple[InstrumentProgress, ...]
    markers: tuple[MarkerRow, ...]
    phases: tuple[PhaseSpan, ...]

    @property
    def any_not_on_track(self) -> bool:
        return any(p.not_on_track for p in self.instruments)


def _instrument_order(
    course: Course, series: Mapping[str, object], instruments: Mapping[str, Instrument]
) -> list[str]:
    """Scheduled instruments first (in schedule order), then any other instrument given."""
    codes = [
        e.instrument_code for e in schedule_for_course(course, instruments=instruments) if e.active
    ]
    ordered = [code for code in codes if code in series]
    ordered += sorted(code for code in series if code not in ordered)
    return [code for code in ordered if code in instruments]


def course_progress(course: Course) -> CourseProgress:
    """Every instrument with scores in the course. About eight queries, whatever the length."""
    instruments = instruments_for_practice(course.practice)
    series = score_series(course)
    codes = _instrument_order(course, series, instruments)
    parameters = recovery_parameters_for(course.practice, [instruments[c] for c in codes])
    sessions = list(
        Session.objects.filter(course=course).order_by("number").values_list("number", "date")
    )
    return CourseProgress(
        instruments=tuple(
            progress_for(
                instruments[code],
                series[code],
                parameters[code],
                planned_sessions=course.planned_sessions,
            )
            for code in codes
        ),
        markers=tuple(course_marker_rows(course, sessions)) if codes else (),
        phases=tuple(phase_spans(course)),
    )


def course_chart(course: Course, code: str, *, size: ChartSize = "wide") -> str | None:
    """The SVG chart of one instrument in one course, or None when the practice has no such
    instrument."""
    instruments = instruments_for_practice(course.practice)
    instrument = instruments.get(code)
    if instrument is None:
        return None
    points = score_series(course).get(code, [])
    parameters = recovery_parameters_for(course.practice, [instrument])[code]
    progress = progress_for(
        instrument, points, parameters, planned_sessions=course.planned_sessions
    )
    sessions = list(
        Session.objects.filter(course=course).order_by("number").values_list("number", "date")
    )
    return course_chart_svg(
        instrument=instrument,
        points=[ChartPoint(float(row.session), row.total) for row in progress.scores],
        expected=progress.expected,
        phase_boundaries=phase_spans(course),
        markers=chart_markers(course_marker_rows(course, sessions)),
        title=instrument.title,
        size=size,
    )


# --- the session page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionScores:
    """One instrument as of one session: baseline, previous, latest and the change label."""

    instrument: Instrument
    baseline: ScoreRow | None
    previous: ScoreRow | None
    latest: ScoreRow | None
    change_label: str
    change: str


def scores_for_session(course: Course, number: int) -> list[SessionScores]:
    """Each scheduled (or given) instrument as it stood at session `number`.

    Scores given for a later session are left out, so an old session's page
    shows what was known then.
    """
    instruments = instruments_for_practice(course.practice)
    series = score_series(course)
    scheduled = [
        e.instrument_code
        for e in schedule_for_course(course, instruments=instruments)
        if e.active and e.instrument_code in instruments
    ]
    codes = scheduled + sorted(c for c in series if c not in scheduled and c in instruments)
    rows: list[SessionScores] = []
    for code in codes:
        instrument = instruments[code]
        upto = [
            ScoreRow(session=n, at=at, total=total, band_label=_band_label(instrument, total))
            for at, n, total in series.get(code, [])
            if n <= number
        ]
        outcome = course_outcome(instrument, [row.total for row in upto])
        rows.append(
            SessionScores(
                instrument=instrument,
                baseline=upto[0] if upto else None,
                previous=upto[-2] if len(upto) > 1 else None,
                latest=upto[-1] if upto else None,
                change_label=outcome.change_label,
                change=change_text(outcome),
            )
        )
    return rows


# --- the caseload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadScore:
    """One client's caseload instrument: latest score, change and on-track status."""

    instrument: Instrument
    latest: int
    band_label: str
    change: str
    change_label: str
    status: TrackStatus

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def not_on_track(self) -> bool:
        return self.status == TrackStatus.NOT_ON_TRACK


def caseload_score(
    instrument: Instrument,
    parameters: RecoveryParameters,
    *,
    baseline: int,
    baseline_session: int,
    latest: int,
    latest_session: int,
    count: int,
) -> CaseloadScore:
    """The caseload's words for one course, from the numbers the caseload query annotated.

    Pure: baseline and latest are all the outcome rules need, so the caseload
    never reads a course's whole series.
    """
    outcome = course_outcome(instrument, [baseline, latest] if count > 1 else [baseline])
    since = sessions_since_baseline(baseline_session, latest_session)
    return CaseloadScore(
        instrument=instrument,
        latest=latest,
        band_label=_band_label(instrument, latest),
        change=change_text(outcome),
        change_label=outcome.change_label,
        status=track_status(instrument, parameters.bands, baseline, since, latest),
    )
