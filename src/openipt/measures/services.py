"""Writing questionnaires, corrections, portal requests, schedules and practice instruments.

Every write checks who may make it, runs in one transaction and is audited
with field names only: no answer, total or band ever enters the audit trail.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.models import Course, CourseStatus, Session
from openipt.courses.selectors.access import can_write_course
from openipt.measures.engine import (
    DefinitionError,
    Instrument,
    InvalidAnswers,
    Score,
    parse_definition,
    score_answers,
    shipped_instruments,
    with_licensed_text,
)
from openipt.measures.models import (
    AdministrationMode,
    LicensedText,
    MeasureAdministration,
    MeasureRequest,
    MeasureSchedule,
    PracticeInstrument,
)
from openipt.measures.selectors import (
    UnknownInstrument,
    instrument_for_practice,
    is_administrable,
    missing_text_keys,
    request_is_open,
)
from openipt.practice import policies as practice_policies
from openipt.practice.models import Membership, Role
from openipt.practice.roles import roles_for
from openipt.safety.services import risk_alert_raise

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

# A questionnaire sent to the portal stays open this many days unless the
# clinician chooses otherwise (settings.MEASURE_REQUEST_VALID_DAYS overrides it).
DEFAULT_REQUEST_VALID_DAYS = 7
MAX_REQUEST_VALID_DAYS = 60
# Clocks on phones and servers disagree a little; a questionnaire dated further
# in the future than this is refused.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
MAX_REASON_LENGTH = 2000
MAX_DEFINITION_BYTES = 200_000
RISK_SOURCE_TYPE = "measure_administration"
# Practice-defined instruments cannot reuse these codes, so that a stored
# "phq9" always means the shipped PHQ-9.
RESERVED_CODES = frozenset({"phq9", "gad7", "gds15", "phq2", "epds", "phqa", "hamd17"})

__all__ = [
    "DEFAULT_REQUEST_VALID_DAYS",
    "InvalidAnswers",
    "ScheduleItem",
    "licensed_text_load",
    "measure_correct",
    "measure_request_cancel",
    "measure_request_create",
    "measure_schedule_set",
    "measure_submit",
    "practice_instrument_set_active",
    "practice_instrument_upload",
    "request_valid_days",
]


def request_valid_days() -> int:
    return int(settings.MEASURE_REQUEST_VALID_DAYS)


def _audit_course(
    actor: User,
    course: Course,
    action: AuditAction,
    what: str,
    public_id: Any,
    fields: Sequence[str],
) -> None:
    record(
        actor=actor,
        action=action,
        object_type=what,
        object_public_id=public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
        changed_fields=fields,
    )


def _is_the_client(actor: User, course: Course) -> bool:
    """The actor is the course's own client, with an active client membership."""
    client = course.client
    if client.user_id is None or client.user_id != actor.pk:
        return False
    return Membership.objects.filter(
        user=actor, practice_id=client.practice_id, role=Role.CLIENT, is_active=True
    ).exists()


def _instrument(course: Course, code: str) -> Instrument:
    try:
        instrument = instrument_for_practice(course.practice, code, language=course.client.language)
    except UnknownInstrument as exc:
        raise ValidationError("This practice has no questionnaire with that name.") from exc
    if not is_administrable(instrument):
        raise ValidationError(
            f"The {instrument.short_title} cannot be given yet: its wording is licensed, "
            "and a practice admin must load the licensed text first."
        )
    return instrument


def _require_open(course: Course) -> None:
    if course.status != CourseStatus.ACTIVE:
        raise ValidationError("This course is closed: questionnaires can no longer be added.")


def _score(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    # Raises InvalidAnswers (every problem at once) for the caller to show.
    return score_answers(instrument, answers)


def _stored_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int]:
    """Answers as ordinals by linkId, whatever form they arrived in (ordinal or option code).

    Called after `score_answers` accepted them, so every value is a known one.
    """
    stored: dict[str, int] = {}
    for item in instrument.items:
        value = answers.get(item.link_id)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            # An option code, or (as HTML forms send them) an ordinal written as text.
            option = item.option_for_code(value.strip())
            stored[item.link_id] = option.ordinal if option is not None else int(value.strip())
        elif isinstance(value, int):
            stored[item.link_id] = value
    return stored


def _raise_alert(
    *, actor: User, administration: MeasureAdministration, risk_link_ids: Sequence[str]
) -> None:
    # Inside the caller's transaction: the alert commits with the answers or
    # not at all, so a positive risk answer can never be stored without one.
    risk_alert_raise(
        practice=administration.practice,
        client=administration.client,
        course=administration.course,
        source_type=RISK_SOURCE_TYPE,
        source_public_id=administration.public_id,
        instrument_code=administration.instrument_code,
        risk_link_ids=list(risk_link_ids),
        raised_by=actor,
    )


def _check_submitter(
    actor: User, course: Course, mode: str, request: MeasureRequest | None
) -> None:
    if mode in (AdministrationMode.IN_SESSION, AdministrationMode.API):
        if not can_write_course(actor=actor, course=course):
            raise PermissionDenied
    elif mode == AdministrationMode.PORTAL:
        if request is None or request.course_id != course.pk or not _is_the_client(actor, course):
            raise PermissionDenied
    else:
        raise ValidationError("Unknown way of completing a questionnaire.")


@transaction.atomic
def measure_submit(
    *,
    actor: User,
    course: Course,
    instrument_code: str,
    answers: Mapping[str, object],
    administered_at: datetime.datetime | None = None,
    mode: str = AdministrationMode.IN_SESSION,
    session: Session | None = None,
    request: MeasureRequest | None = None,
    idempotency_key: str | None = None,
) -> MeasureAdministration:
    """Score and store one questionnaire; a positive risk answer raises an alert with it.

    Who: a clinician on the client's care team (in session or through the API),
    or the client themself for an open portal request of theirs. The same
    idempotency key, or a second submission of a completed portal request,
    returns the questionnaire already stored instead of storing it twice.
    Raises InvalidAnswers (answers refused; nothing stored), PermissionDenied
    or ValidationError.
    """
    _check_submitter(actor, course, mode, request)
    key = (idempotency_key or "").strip()[:64] or None
    if key is not None:
        existing = MeasureAdministration.objects.filter(course=course, idempotency_key=key).first()
        if existing is not None:
            return existing
    if request is not None:
        # Lock the request: two submissions racing for it are served one by one.
        request = MeasureRequest.objects.select_for_update().get(pk=request.pk)
        if request.completed_administration_id is not None:
            return MeasureAdministration.objects.get(pk=request.completed_administration_id)
        if not request_is_open(request):
            raise ValidationError(
                "This questionnaire is no longer open: it expired or was withdrawn. "
                "Your clinician can send a new one."
            )
        if request.instrument_code != instrument_code:
            raise ValidationError("This answer does not belong to that questionnaire.")
    _require_open(course)
    if session is not None and session.course_id != course.pk:
        raise ValidationError("That session belongs to another course.")
    now = timezone.now()
    moment = administered_at or now
    if moment > now + FUTURE_TOLERANCE:
        raise ValidationError("A questionnaire cannot be dated in the future.")
    instrument = _instrument(course, instrument_code)
    score = _score(instrument, answers)
    fields: dict[str, Any] = {
        "course": course,
        "client": course.client,
        "practice": course.practice,
        "session": session,
        "instrument_code": instrument.code,
        "instrument_version": instrument.version,
        "answers": _stored_answers(instrument, answers),
        "total": score.total,
        "band_code": score.band.code,
        "risk_link_ids": list(score.risk_link_ids),
        "prorated": score.prorated,
        "administered_at": moment,
        "mode": mode,
        "entered_by": actor,
        "request": request,
        "idempotency_key": key,
    }
    try:
        with transaction.atomic():
            administration = MeasureAdministration.objects.create(**fields)
    except IntegrityError:
        # Lost a race with the same key (or the same request): the other
        # submission stored it; hand that one back.
        if key is not None:
            existing = MeasureAdministration.objects.filter(
                course=course, idempotency_key=key
            ).first()
            if existing is not None:
                return existing
        raise
    if request is not None:
        request.completed_administration = administration
        request.save(update_fields=["completed_administration", "updated_at"])
    _audit_course(
        actor,
        course,
        AuditAction.CREATE,
        "measure_administration",
        administration.public_id,
        ["instrument_code", "answers", "total", "band_code", "administered_at", "mode"]
        + (["session"] if session is not None else [])
        + (["request"] if request is not None else []),
    )
    if score.risk_link_ids:
        _raise_alert(actor=actor, administration=administration, risk_link_ids=score.risk_link_ids)
    return administration


@transaction.atomic
def measure_correct(
    *,
    actor: User,
    administration: MeasureAdministration,
    answers: Mapping[str, object],
    reason: str,
) -> MeasureAdministration:
    """Replace a stored questionnaire by a corrected one, keeping both.

    A questionnaire is never edited: the correction is a new row that
    supersedes the old one, which stays in the record marked as corrected. A
    reason is required. Only the care team's clinicians correct. A risk item
    that the correction makes positive (and was not before) raises an alert.
    """
    course = administration.course
    if not can_write_course(actor=actor, course=course):
        raise PermissionDenied
    _require_open(course)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the answers are being corrected."})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON_LENGTH} characters."})
    old = MeasureAdministration.objects.select_for_update().get(pk=administration.pk)
    if old.superseded:
        raise ValidationError(
            "This questionnaire has already been corrected; correct the latest version instead."
        )
    instrument = _instrument(course, old.instrument_code)
    score = _score(instrument, answers)
    new = MeasureAdministration.objects.create(
        course=course,
        client=old.client,
        practice=old.practice,
        session=old.session,
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        answers=_stored_answers(instrument, answers),
        total=score.total,
        band_code=score.band.code,
        risk_link_ids=list(score.risk_link_ids),
        prorated=score.prorated,
        administered_at=old.administered_at,
        mode=old.mode,
        entered_by=actor,
        supersedes=old,
        correction_reason=reason,
    )
    old.superseded = True
    old.save(update_fields=["superseded", "updated_at"])
    _audit_course(
        actor,
        course,
        AuditAction.CREATE,
        "measure_administration",
        new.public_id,
        ["answers", "total", "band_code", "supersedes", "correction_reason"],
    )
    _audit_course(
        actor, course, AuditAction.UPDATE, "measure_administration", old.public_id, ["superseded"]
    )
    newly_positive = [link for link in score.risk_link_ids if link not in (old.risk_link_ids or [])]
    if newly_positive:
        _raise_alert(actor=actor, administration=new, risk_link_ids=newly_positive)
    return new


# --- portal requests ----------------------------------------------------------------------


@transaction.atomic
def measure_request_create(
    *,
    actor: User,
    course: Course,
    instrument_code: str,
    valid_days: int | None = None,
) -> MeasureRequest:
    """Send a questionnaire to the client's portal, open for `valid_days` (default 7)."""
    if not can_write_course(actor=actor, course=course):
        raise PermissionDenied
    _require_open(course)
    days = request_valid_days() if valid_days is None else valid_days
    if not 1 <= days <= MAX_REQUEST_VALID_DAYS:
        raise ValidationError(
            {"valid_days": f"Choose between 1 and {MAX_REQUEST_VALID_DAYS} days."}
        )
    if course.client.user_id is None:
        raise ValidationError(
            "This client has no portal account yet. Invite them to the portal first, "
            "or record the questionnaire with them in session."
        )
    instrument = _instrument(course, instrument_code)
    now = timezone.now()
    if MeasureRequest.objects.filter(
        course=course,
        instrument_code=instrument.code,
        cancelled=False,
        completed_administration__isnull=True,
        expires_at__gt=now,
    ).exists():
        raise ValidationError(
            f"A {instrument.short_title} is already waiting in this client's portal."
        )
    request = MeasureRequest.objects.create(
        course=course,
        instrument_code=instrument.code,
        requested_at=now,
        expires_at=now + datetime.timedelta(days=days),
        requested_by=actor,
    )
    _audit_course(
        actor,
        course,
        AuditAction.CREATE,
        "measure_request",
        request.public_id,
        ["instrument_code", "expires_at"],
    )
    return request


@transaction.atomic
def measure_request_cancel(*, actor: User, request: MeasureRequest) -> MeasureRequest:
    """Withdraw a questionnaire still waiting in the portal."""
    course = request.course
    if not can_write_course(actor=actor, course=course):
        raise PermissionDenied
    locked = MeasureRequest.objects.select_for_update().get(pk=request.pk)
    if locked.completed_administration_id is not None:
        raise ValidationError("The client has already completed this questionnaire.")
    if locked.cancelled:
        return locked
    locked.cancelled = True
    locked.save(update_fields=["cancelled", "updated_at"])
    _audit_course(
        actor, course, AuditAction.UPDATE, "measure_request", locked.public_id, ["cancelled"]
    )
    return locked


# --- schedules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleItem:
    instrument_code: str
    every_n_sessions: int
    active: bool = True


MAX_EVERY_N_SESSIONS = 20


@transaction.atomic
def measure_schedule_set(
    *, actor: User, course: Course, items: Sequence[ScheduleItem]
) -> list[MeasureSchedule]:
    """Save the course's whole schedule: one row per instrument (inactive rows kept)."""
    if not can_write_course(actor=actor, course=course):
        raise PermissionDenied
    _require_open(course)
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for item in items:
        code = item.instrument_code
        if code in seen:
            errors[code] = "This questionnaire is listed twice."
            continue
        seen.add(code)
        if not 1 <= item.every_n_sessions <= MAX_EVERY_N_SESSIONS:
            errors[code] = f"Choose every 1 to {MAX_EVERY_N_SESSIONS} sessions."
        if item.active:
            try:
                _instrument(course, code)
            except ValidationError as exc:
                errors[code] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    existing = {s.instrument_code: s for s in MeasureSchedule.objects.filter(course=course)}
    changed: list[str] = []
    rows: list[MeasureSchedule] = []
    for item in items:
        row = existing.pop(item.instrument_code, None)
        if row is None:
            row = MeasureSchedule.objects.create(
                course=course,
                instrument_code=item.instrument_code,
                every_n_sessions=item.every_n_sessions,
                active=item.active,
            )
            changed.append("instrument_code")
        elif (row.every_n_sessions, row.active) != (item.every_n_sessions, item.active):
            row.every_n_sessions = item.every_n_sessions
            row.active = item.active
            row.save(update_fields=["every_n_sessions", "active", "updated_at"])
            changed.extend(["every_n_sessions", "active"])
        rows.append(row)
    for row in existing.values():
        if row.active:
            row.active = False
            row.save(update_fields=["active", "updated_at"])
            changed.append("active")
        rows.append(row)
    _audit_course(
        actor,
        course,
        AuditAction.UPDATE,
        "measure_schedule",
        course.public_id,
        changed or ["every_n_sessions"],
    )
    return rows


# --- practice instruments and licensed text -------------------------------------------------


def _require_practice_admin(actor: User, practice: Practice) -> None:
    if not practice_policies.can_manage_members(roles_for(actor).in_practice(practice.pk)):
        raise PermissionDenied


def _json_object(text: str | bytes | Mapping[str, Any], what: str) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    if isinstance(text, bytes):
        if len(text) > MAX_DEFINITION_BYTES:
            raise ValidationError(f"The {what} is too large (over {MAX_DEFINITION_BYTES} bytes).")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"The {what} must be UTF-8 text.") from exc
    if len(text.encode("utf-8")) > MAX_DEFINITION_BYTES:
        raise ValidationError(f"The {what} is too large (over {MAX_DEFINITION_BYTES} bytes).")
    if not text.strip():
        raise ValidationError(f"Paste or choose the {what}.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"The {what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from exc
    if not isinstance(data, dict):
        raise ValidationError(f"The {what} must be a JSON object ({{ … }}).")
    return data


def _definition_errors(exc: DefinitionError) -> list[str]:
    errors = list(getattr(exc, "errors", None) or [])
    return [str(e) for e in errors] or [str(exc)]


@transaction.atomic
def practice_instrument_upload(
    *, actor: User, practice: Practice, definition_json: str | bytes | Mapping[str, Any]
) -> PracticeInstrument:
    """Add the practice's own instrument. Every problem in the definition is reported at once."""
    _require_practice_admin(actor, practice)
    data = _json_object(definition_json, "definition")
    try:
        instrument = parse_definition(data)
    except DefinitionError as exc:
        raise ValidationError(_definition_errors(exc)) from exc
    if instrument.code in RESERVED_CODES or instrument.code in shipped_instruments():
        raise ValidationError(
            f"“{instrument.code}” is the code of an instrument OpenIPT ships; give your "
            "instrument a code of its own."
        )
    if PracticeInstrument.objects.filter(
        practice=practice, code=instrument.code, version=instrument.version
    ).exists():
        raise ValidationError(
            f"Version {instrument.version} of “{instrument.code}” is already loaded; "
            "give the new definition a new version."
        )
    if not is_administrable(instrument):
        raise ValidationError(
            "Every item and every answer needs its words. Missing: "
            + ", ".join(missing_text_keys(instrument))
        )
    row = PracticeInstrument.objects.create(
        practice=practice,
        code=instrument.code,
        version=instrument.version,
        definition=dict(data),
        active=True,
        uploaded_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="practice_instrument",
        object_public_id=row.public_id,
        practice=practice,
        changed_fields=["code", "version", "definition"],
    )
    return row


@transaction.atomic
def practice_instrument_set_active(
    *, actor: User, instrument: PracticeInstrument, active: bool
) -> PracticeInstrument:
    """Retire (or bring back) one of the practice's own instruments. Stored scores stay."""
    _require_practice_admin(actor, instrument.practice)
    if instrument.active != active:
        instrument.active = active
        instrument.save(update_fields=["active", "updated_at"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="practice_instrument",
            object_public_id=instrument.public_id,
            practice=instrument.practice,
            changed_fields=["active"],
        )
    return instrument


@transaction.atomic
def licensed_text_load(
    *,
    actor: User,
    practice: Practice,
    instrument_code: str,
    texts_json: str | bytes | Mapping[str, Any],
    language: str = "en",
) -> LicensedText:
    """Load the licensed wording of EPDS or PHQ-A for one practice.

    Keys as in the engine's `with_licensed_text` ("stem", "<linkId>",
    "<linkId>:<optionCode>"); the text must cover every item and answer.
    """
    _require_practice_admin(actor, practice)
    shipped = shipped_instruments().get(instrument_code)
    if shipped is None or shipped.text_licensed:
        raise ValidationError("Only EPDS and PHQ-A take licensed text; choose one of them.")
    data = _json_object(texts_json, "text")
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise ValidationError([f"“{k}”: the text must be a string." for k in bad])
    try:
        worded = with_licensed_text(shipped, {str(k): str(v) for k, v in data.items()})
    except DefinitionError as exc:
        raise ValidationError(_definition_errors(exc)) from exc
    missing = missing_text_keys(worded)
    if missing:
        raise ValidationError(
            [f"Text is missing for: {', '.join(missing)}. Every item and answer needs its words."]
        )
    row = LicensedText.objects.create(
        practice=practice,
        instrument_code=shipped.code,
        version=shipped.version,
        language=language,
        texts=dict(data),
        loaded_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="licensed_text",
        object_public_id=row.public_id,
        practice=practice,
        changed_fields=["instrument_code", "language", "texts"],
    )
    return row


# --- what clients see of their own scores ---------------------------------------------------


@transaction.atomic
def practice_client_scores_set(*, actor: User, practice: Practice, allowed: bool) -> Practice:
    """Let the practice's clients see their own score history in the portal, or stop it.

    Off by default, because clinicians usually go through scores with the client
    first. Only a change is audited, and only the field's name.
    """
    _require_practice_admin(actor, practice)
    if practice.clients_see_own_scores != allowed:
        practice.clients_see_own_scores = allowed
        practice.save(update_fields=["clients_see_own_scores", "updated_at"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="practice",
            object_public_id=practice.public_id,
            practice=practice,
            changed_fields=["clients_see_own_scores"],
        )
    return practice
